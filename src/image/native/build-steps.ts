/**
 * Interprets a Dockerfile for one platform, the way BuildKit's frontend would, into the steps
 * the native builder runs: which base the target stage starts from and what each instruction
 * does, with ARG/ENV expansion done. Pure: text in, data out.
 */
import { usageError } from '../../errors.js';
import { formatPlatform, type Platform } from '../../platform.js';
import { NATIVE_INSTRUCTIONS } from '../../plan/builder-choice.js';
import { expandVariables, splitWords, type Dockerfile, type DockerfileInstruction } from '../dockerfile.js';

export type BaseReference = { kind: 'scratch' } | { kind: 'stage'; index: number } | { kind: 'image'; name: string };

export type BuildStep =
  | { kind: 'copy'; sources: string[]; destination: string; chown?: { uid: number; gid: number }; chmod?: number; line: number; text: string }
  | { kind: 'env'; values: Array<[string, string]> }
  | { kind: 'label'; values: Array<[string, string]> }
  | { kind: 'user'; value: string }
  | { kind: 'workdir'; path: string; line: number }
  | { kind: 'entrypoint'; value: string[] }
  | { kind: 'cmd'; value: string[] }
  | { kind: 'expose'; ports: string[] }
  | { kind: 'volume'; paths: string[] }
  | { kind: 'stopsignal'; value: string };

export interface BuildStage {
  name?: string;
  base: BaseReference;
  steps: BuildStep[];
  line: number;
  /** The environment at the end of the stage (base image env, then its ENVs): a child stage starts from it. */
  env: Map<string, string>;
}

/** The `Env` of a base image (`KEY=value` strings), when known; ENV expansion starts from it. */
export type BaseEnvLookup = (image: string) => readonly string[] | undefined;

/** BuildKit's empty image (FROM scratch) has this PATH; so does an expansion of `$PATH` in it. */
export const DEFAULT_LINUX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The stages the target (last) stage depends on, keyed by index; `target` is the last. */
export interface BuildProgram {
  stages: BuildStage[];
  target: number;
}

export function platformArgs(platform: Platform, buildPlatform: Platform): Map<string, string> {
  return new Map([
    ['TARGETPLATFORM', formatPlatform(platform)],
    ['TARGETOS', platform.os],
    ['TARGETARCH', platform.architecture],
    ['TARGETVARIANT', platform.variant ?? ''],
    ['BUILDPLATFORM', formatPlatform(buildPlatform)],
    ['BUILDOS', buildPlatform.os],
    ['BUILDARCH', buildPlatform.architecture],
    ['BUILDVARIANT', buildPlatform.variant ?? ''],
  ]);
}

/**
 * `baseEnv` gives the Env of registry and graph base images, so `ENV PATH=$PATH:/x` expands as
 * BuildKit does, against the base's PATH. Default: base images have no Env.
 */
export function interpretDockerfile(
  dockerfile: Dockerfile,
  buildArgs: Record<string, string>,
  platform: Platform,
  buildPlatform: Platform,
  baseEnv: BaseEnvLookup = () => undefined,
): BuildProgram {
  const automatic = platformArgs(platform, buildPlatform);
  const fail = (instruction: DockerfileInstruction, message: string) =>
    usageError(`${dockerfile.file}:${instruction.line}: ${message}`, { location: { file: dockerfile.file, line: instruction.line, column: 1 } });

  const globalArgs = new Map<string, string>(automatic);
  const declaredGlobals = new Map<string, string>();
  const stages: BuildStage[] = [];
  let stage: BuildStage | undefined;
  let scope = new Map<string, string>(); // variables visible to this stage's instructions
  let envNames = new Set<string>(); // names in scope set by ENV (or the base's Env): an ARG does not override them

  for (const instruction of dockerfile.instructions) {
    if (!NATIVE_INSTRUCTIONS.has(instruction.keyword)) {
      throw fail(instruction, `${instruction.keyword} cannot be built by the native builder; use --builder buildx (or auto)`);
    }
    const expand = (text: string) => expandVariables(text, scope);
    if (instruction.keyword === 'ARG') {
      // Platform args cannot be overridden; a build arg beats a declared default; a stage's ARG
      // without a default inherits the global one.
      for (const word of splitWords(instruction.text)) {
        const [name, ...rest] = word.split('=') as [string, ...string[]];
        const fallback = rest.length > 0 ? expandVariables(rest.join('='), stage ? scope : globalArgs) : stage ? declaredGlobals.get(name) : undefined;
        const value = automatic.get(name) ?? buildArgs[name] ?? fallback;
        if (!stage) declaredGlobals.set(name, value ?? '');
        if (value === undefined) continue;
        if (!stage) globalArgs.set(name, value);
        else if (!envNames.has(name)) scope.set(name, value);
      }
      continue;
    }
    if (instruction.keyword === 'FROM') {
      const words = splitWords(expandVariables(instruction.text, globalArgs));
      const image = words[0];
      if (!image) throw fail(instruction, 'FROM needs an image');
      if (instruction.flags.platform !== undefined) throw fail(instruction, 'FROM --platform cannot be built by the native builder; use --builder buildx');
      const name = words[1]?.toLowerCase() === 'as' ? words[2]?.toLowerCase() : undefined;
      const stageIndex = stages.findIndex((s) => s.name === image.toLowerCase());
      const base: BaseReference =
        image === 'scratch' ? { kind: 'scratch' } : stageIndex >= 0 ? { kind: 'stage', index: stageIndex } : { kind: 'image', name: image };
      const env =
        base.kind === 'scratch'
          ? new Map([['PATH', DEFAULT_LINUX_PATH]])
          : base.kind === 'stage'
            ? new Map(stages[base.index]!.env)
            : parseEnv(baseEnv(base.name) ?? []);
      stage = { base, steps: [], line: instruction.line, env, ...(name ? { name } : {}) };
      stages.push(stage);
      scope = new Map(env);
      envNames = new Set(env.keys());
      continue;
    }
    if (!stage) throw fail(instruction, `${instruction.keyword} before the first FROM`);
    switch (instruction.keyword) {
      case 'COPY':
      case 'ADD': {
        if (instruction.flags.from !== undefined) throw fail(instruction, 'COPY --from cannot be built by the native builder; use --builder buildx');
        if (instruction.heredocs) {
          const name = instruction.heredocs[0]!.name;
          throw fail(instruction, `${instruction.keyword} <<${name} (a heredoc) cannot be built by the native builder; use --builder buildx (or auto)`);
        }
        const words = instruction.json ?? splitWords(instruction.text);
        const expanded = words.map(expand);
        if (expanded.length < 2) throw fail(instruction, `${instruction.keyword} needs a source and a destination`);
        const step: Extract<BuildStep, { kind: 'copy' }> = {
          kind: 'copy',
          sources: expanded.slice(0, -1),
          destination: expanded[expanded.length - 1]!,
          line: instruction.line,
          text: `${instruction.keyword} ${instruction.text}`,
        };
        if (step.sources.some((s) => /^(https?|git):\/\//.test(s)))
          throw fail(instruction, `${instruction.keyword} <url> cannot be built by the native builder; use --builder buildx`);
        if (step.sources.some((s) => /[*?[]/.test(s)))
          throw fail(instruction, 'wildcards in COPY sources cannot be built by the native builder; use --builder buildx');
        if (instruction.flags.chown !== undefined) {
          const match = /^(\d+)(?::(\d+))?$/.exec(expand(instruction.flags.chown));
          if (!match)
            throw fail(instruction, `--chown=${instruction.flags.chown}: the native builder takes numeric uid[:gid]; use --builder buildx for user names`);
          step.chown = { uid: Number(match[1]), gid: Number(match[2] ?? match[1]) };
        }
        if (instruction.flags.chmod !== undefined) {
          if (!/^[0-7]{3,4}$/.test(instruction.flags.chmod)) throw fail(instruction, `--chmod=${instruction.flags.chmod} must be octal like 0755`);
          step.chmod = parseInt(instruction.flags.chmod, 8);
        }
        stage.steps.push(step);
        break;
      }
      case 'ENV':
      case 'LABEL': {
        const values = keyValues(instruction, expand);
        if (instruction.keyword === 'ENV') {
          for (const [key, value] of values) {
            scope.set(key, value);
            envNames.add(key);
            stage.env.set(key, value);
          }
        }
        stage.steps.push({ kind: instruction.keyword === 'ENV' ? 'env' : 'label', values });
        break;
      }
      case 'USER':
        stage.steps.push({ kind: 'user', value: expand(instruction.text) });
        break;
      case 'WORKDIR':
        stage.steps.push({ kind: 'workdir', path: expand(instruction.text), line: instruction.line });
        break;
      case 'ENTRYPOINT':
      case 'CMD': {
        const value = instruction.json ?? ['/bin/sh', '-c', instruction.text];
        stage.steps.push({ kind: instruction.keyword === 'ENTRYPOINT' ? 'entrypoint' : 'cmd', value });
        break;
      }
      case 'EXPOSE':
        stage.steps.push({ kind: 'expose', ports: splitWords(expand(instruction.text)).map((p) => (p.includes('/') ? p : `${p}/tcp`)) });
        break;
      case 'VOLUME':
        stage.steps.push({ kind: 'volume', paths: (instruction.json ?? splitWords(instruction.text)).map(expand) });
        break;
      case 'STOPSIGNAL':
        stage.steps.push({ kind: 'stopsignal', value: expand(instruction.text) });
        break;
      case 'MAINTAINER':
        stage.steps.push({ kind: 'label', values: [['maintainer', instruction.text]] });
        break;
      default:
        throw fail(instruction, `${instruction.keyword} cannot be built by the native builder`);
    }
  }
  if (stages.length === 0) throw usageError(`${dockerfile.file}: no FROM instruction`);
  return { stages, target: stages.length - 1 };
}

function parseEnv(env: readonly string[]): Map<string, string> {
  const vars = new Map<string, string>();
  for (const entry of env) {
    const at = entry.indexOf('=');
    if (at > 0) vars.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return vars;
}

function keyValues(instruction: DockerfileInstruction, expand: (text: string) => string): Array<[string, string]> {
  const words = splitWords(instruction.text);
  if (words.length >= 2 && !words[0]!.includes('=')) {
    // Legacy form: ENV KEY value with spaces
    return [
      [
        words[0]!,
        expand(
          instruction.text
            .slice(instruction.text.indexOf(words[0]!) + words[0]!.length)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
        ),
      ],
    ];
  }
  return words.map((word) => {
    const index = word.indexOf('=');
    return [word.slice(0, index), expand(word.slice(index + 1))] as [string, string];
  });
}
