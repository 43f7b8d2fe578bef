/**
 * The native builder's Dockerfile interpreter (image/native/build-steps.ts), pure: Dockerfile text
 * and a platform in, the stages and steps out. What BuildKit's frontend would make of each form.
 */
import { describe, expect, it } from 'vitest';
import { isMeshbuildError, type MeshbuildError } from '../../../src/errors.js';
import { parseDockerfile } from '../../../src/image/dockerfile.js';
import { DEFAULT_LINUX_PATH, interpretDockerfile, type BaseEnvLookup, type BuildProgram, type BuildStep } from '../../../src/image/native/build-steps.js';
import type { Platform } from '../../../src/platform.js';

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64' };
const ARM_V7: Platform = { os: 'linux', architecture: 'arm', variant: 'v7' };
const FILE = 'fixtures/test.Dockerfile';

function interpret(text: string, options: { args?: Record<string, string>; platform?: Platform; baseEnv?: BaseEnvLookup } = {}): BuildProgram {
  return interpretDockerfile(parseDockerfile(text, FILE), options.args ?? {}, options.platform ?? AMD64, AMD64, options.baseEnv);
}

/** The steps of the target (last) stage. */
function targetSteps(program: BuildProgram): BuildStep[] {
  return program.stages[program.target]!.steps;
}

function labels(program: BuildProgram): Record<string, string> {
  return Object.fromEntries(targetSteps(program).flatMap((s) => (s.kind === 'label' ? s.values : [])));
}

function env(program: BuildProgram): Record<string, string> {
  return Object.fromEntries(targetSteps(program).flatMap((s) => (s.kind === 'env' ? s.values : [])));
}

function step<K extends BuildStep['kind']>(program: BuildProgram, kind: K): Extract<BuildStep, { kind: K }> {
  const found = targetSteps(program).find((s) => s.kind === kind);
  if (!found) throw new Error(`no ${kind} step`);
  return found as Extract<BuildStep, { kind: K }>;
}

function thrown(run: () => unknown): MeshbuildError {
  try {
    run();
  } catch (error) {
    if (isMeshbuildError(error)) return error;
    throw error;
  }
  throw new Error('expected a meshbuild error');
}

describe('ARG', () => {
  const dockerfile = [
    'ARG VERSION=1.0',
    'FROM scratch',
    'ARG VERSION',
    'ARG MODE=debug',
    'ARG UNSET',
    'LABEL version=$VERSION mode=${MODE} unset=[$UNSET]',
  ].join('\n');

  it("takes the declared defaults: a global one re-declared in the stage, and the stage's own", () => {
    expect(labels(interpret(dockerfile))).toEqual({ version: '1.0', mode: 'debug', unset: '[]' });
  });

  it('takes build args over the defaults', () => {
    expect(labels(interpret(dockerfile, { args: { VERSION: '2.0', MODE: 'release', UNSET: 'set' } }))).toEqual({
      version: '2.0',
      mode: 'release',
      unset: '[set]',
    });
  });

  it('does not let a global ARG into a stage that does not declare it', () => {
    expect(labels(interpret('ARG VERSION=1.0\nFROM scratch\nLABEL version=[$VERSION]'))).toEqual({ version: '[]' });
  });

  it('expands a default from an earlier ARG', () => {
    expect(labels(interpret('FROM scratch\nARG NAME=mesh\nARG IMAGE=${NAME}-proxy\nLABEL image=$IMAGE'))).toEqual({ image: 'mesh-proxy' });
  });
});

describe('TARGETARCH, TARGETOS, TARGETPLATFORM, TARGETVARIANT', () => {
  const dockerfile = [
    'FROM scratch',
    'ARG TARGETARCH',
    'ARG TARGETOS',
    'ARG TARGETPLATFORM',
    'ARG TARGETVARIANT',
    'LABEL arch=$TARGETARCH os=$TARGETOS platform=$TARGETPLATFORM variant=[$TARGETVARIANT]',
    'COPY ${TARGETARCH}/pilot-discovery /usr/local/bin/',
  ].join('\n');

  it.each([
    [AMD64, { arch: 'amd64', os: 'linux', platform: 'linux/amd64', variant: '[]' }],
    [ARM64, { arch: 'arm64', os: 'linux', platform: 'linux/arm64', variant: '[]' }],
    [ARM_V7, { arch: 'arm', os: 'linux', platform: 'linux/arm/v7', variant: '[v7]' }],
  ])('are set for %o', (platform, expected) => {
    const program = interpret(dockerfile, { platform });
    expect(labels(program)).toEqual(expected);
    expect(step(program, 'copy').sources).toEqual([`${expected.arch}/pilot-discovery`]);
  });

  it('cannot be overridden by build args', () => {
    expect(labels(interpret(dockerfile, { platform: ARM64, args: { TARGETARCH: 'amd64', TARGETPLATFORM: 'linux/amd64' } }))).toMatchObject({
      arch: 'arm64',
      platform: 'linux/arm64',
    });
  });

  it('are empty in a stage that does not declare them', () => {
    expect(labels(interpret('FROM scratch\nLABEL arch=[$TARGETARCH]', { platform: ARM64 }))).toEqual({ arch: '[]' });
  });

  it('are usable in FROM without being declared', () => {
    const program = interpret('FROM registry.example/base-${TARGETARCH}:1', { platform: ARM64 });
    expect(program.stages[0]!.base).toEqual({ kind: 'image', name: 'registry.example/base-arm64:1' });
  });
});

describe('FROM', () => {
  it('expands a global ARG, with a build arg over its default', () => {
    const dockerfile = 'ARG HUB=registry.example/mesh\nARG BASE_VERSION=1.0\nFROM ${HUB}/base:$BASE_VERSION';
    expect(interpret(dockerfile).stages[0]!.base).toEqual({ kind: 'image', name: 'registry.example/mesh/base:1.0' });
    expect(interpret(dockerfile, { args: { HUB: '127.0.0.1:5555/ns' } }).stages[0]!.base).toEqual({ kind: 'image', name: '127.0.0.1:5555/ns/base:1.0' });
  });

  it('knows scratch', () => {
    expect(interpret('FROM scratch').stages[0]!.base).toEqual({ kind: 'scratch' });
  });

  describe('picks the stage `FROM ${BASE_DISTRIBUTION}` names (the shipped multi-stage Dockerfiles)', () => {
    const dockerfile = [
      'ARG BASE_DISTRIBUTION=debug',
      'FROM base AS debug',
      'FROM distroless AS distroless',
      'FROM ${BASE_DISTRIBUTION}',
      'ARG TARGETARCH',
      'COPY ${TARGETARCH}/pilot-discovery /usr/local/bin/pilot-discovery',
    ].join('\n');

    it('debug by default: the last stage builds on stage 0, which is the graph image "base"', () => {
      const program = interpret(dockerfile);
      expect(program.target).toBe(2);
      expect(program.stages.map((s) => s.name)).toEqual(['debug', 'distroless', undefined]);
      expect(program.stages[2]!.base).toEqual({ kind: 'stage', index: 0 });
      expect(program.stages[0]!.base).toEqual({ kind: 'image', name: 'base' });
    });

    it('distroless with BASE_DISTRIBUTION=distroless', () => {
      const program = interpret(dockerfile, { args: { BASE_DISTRIBUTION: 'distroless' } });
      expect(program.stages[2]!.base).toEqual({ kind: 'stage', index: 1 });
      expect(program.stages[1]!.base).toEqual({ kind: 'image', name: 'distroless' });
    });
  });

  it('matches stage names without regard to case', () => {
    expect(interpret('FROM scratch AS Build\nFROM build').stages[1]!.base).toEqual({ kind: 'stage', index: 0 });
  });

  it('refuses FROM --platform, naming the file and line', () => {
    const error = thrown(() => interpret('FROM scratch\n\nFROM --platform=$BUILDPLATFORM scratch'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`${FILE}:3:`);
  });
});

describe('ENV', () => {
  it('is expanded in later instructions', () => {
    const program = interpret(
      [
        'FROM scratch',
        'ENV APP=/srv/app',
        'ENV BIN=$APP/bin CONF=${APP}/conf',
        'WORKDIR $APP',
        'COPY app ${BIN}/',
        'LABEL conf=$CONF default=${MISSING:-fallback} alt=${APP:+set}',
        'USER ${UID:-1337}',
      ].join('\n'),
    );
    expect(env(program)).toEqual({ APP: '/srv/app', BIN: '/srv/app/bin', CONF: '/srv/app/conf' });
    expect(step(program, 'workdir').path).toBe('/srv/app');
    expect(step(program, 'copy').destination).toBe('/srv/app/bin/');
    expect(labels(program)).toEqual({ conf: '/srv/app/conf', default: 'fallback', alt: 'set' });
    expect(step(program, 'user').value).toBe('1337');
  });

  it("expands $PATH against the base image's Env (ENV PATH=$PATH:/opt/cni/bin, as install-cni does)", () => {
    const program = interpret('FROM base\nENV PATH=$PATH:/opt/cni/bin', {
      baseEnv: (name) => (name === 'base' ? ['PATH=/usr/bin:/bin', 'LANG=C'] : undefined),
    });
    expect(env(program)).toEqual({ PATH: '/usr/bin:/bin:/opt/cni/bin' });
  });

  it('expands $PATH in a stage FROM scratch against the default PATH', () => {
    expect(env(interpret('FROM scratch\nENV PATH=$PATH:/x'))).toEqual({ PATH: `${DEFAULT_LINUX_PATH}:/x` });
  });

  it("carries a stage's ENV into a stage built FROM it", () => {
    const program = interpret('FROM scratch AS first\nENV HOME_DIR=/home/app\nFROM first\nCOPY file ${HOME_DIR}/file');
    expect(step(program, 'copy').destination).toBe('/home/app/file');
  });

  it('wins over an ARG of the same name, declared before or after it', () => {
    expect(labels(interpret('FROM scratch\nARG MODE=arg\nENV MODE=env\nLABEL mode=$MODE'))).toEqual({ mode: 'env' });
    expect(labels(interpret('FROM scratch\nENV MODE=env\nARG MODE=arg\nLABEL mode=$MODE'))).toEqual({ mode: 'env' });
  });

  it('reads the legacy form: ENV KEY a value with spaces', () => {
    expect(env(interpret('FROM scratch\nENV GREETING hello there world'))).toEqual({ GREETING: 'hello there world' });
  });

  it('takes quoted values and several pairs on one line', () => {
    expect(env(interpret('FROM scratch\nENV A="one two" B=three'))).toEqual({ A: 'one two', B: 'three' });
  });
});

describe('COPY and ADD', () => {
  it('takes --chown=uid:gid and --chmod', () => {
    const copy = step(interpret('FROM scratch\nCOPY --chown=1337:1338 --chmod=0640 a b /dest/'), 'copy');
    expect(copy).toMatchObject({ sources: ['a', 'b'], destination: '/dest/', chown: { uid: 1337, gid: 1338 }, chmod: 0o640, line: 2 });
  });

  it('uses the uid as the gid for --chown=uid', () => {
    expect(step(interpret('FROM scratch\nCOPY --chown=1337 a /a'), 'copy').chown).toEqual({ uid: 1337, gid: 1337 });
  });

  it('expands variables in --chown', () => {
    expect(step(interpret('FROM scratch\nARG UID=42\nCOPY --chown=${UID}:${UID} a /a'), 'copy').chown).toEqual({ uid: 42, gid: 42 });
  });

  it('takes three-digit --chmod', () => {
    expect(step(interpret('FROM scratch\nCOPY --chmod=755 run.sh /run'), 'copy').chmod).toBe(0o755);
  });

  it('reads the JSON form, with spaces in names', () => {
    expect(step(interpret('FROM scratch\nCOPY ["my file", "/opt/my file"]'), 'copy')).toMatchObject({ sources: ['my file'], destination: '/opt/my file' });
  });

  it('treats ADD of a local file as a copy', () => {
    expect(step(interpret('FROM scratch\nADD conf.yaml /etc/conf.yaml'), 'copy')).toMatchObject({ sources: ['conf.yaml'], destination: '/etc/conf.yaml' });
  });

  it.each([
    ['--chown=app:app', /--chown=app:app/],
    ['--chmod=u+x', /--chmod=u\+x/],
  ])('refuses %s with the file and line', (flag, message) => {
    const error = thrown(() => interpret(`FROM scratch\nCOPY ${flag} a /a`));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`${FILE}:2:`);
  });

  it('refuses wildcard sources', () => {
    expect(thrown(() => interpret('FROM scratch\nCOPY *.yaml /etc/')).message).toMatch(/wildcard/);
  });

  it('needs a source and a destination', () => {
    expect(thrown(() => interpret('FROM scratch\nCOPY onlyone')).message).toContain(`${FILE}:2: COPY needs a source and a destination`);
  });
});

describe('ENTRYPOINT and CMD', () => {
  it('keep the exec form as written', () => {
    const program = interpret('FROM scratch\nENTRYPOINT ["/usr/local/bin/pilot-agent", "--log"]\nCMD ["proxy", "sidecar"]');
    expect(step(program, 'entrypoint').value).toEqual(['/usr/local/bin/pilot-agent', '--log']);
    expect(step(program, 'cmd').value).toEqual(['proxy', 'sidecar']);
  });

  it('run the shell form through /bin/sh -c', () => {
    const program = interpret('FROM scratch\nENTRYPOINT exec /app --port 8080\nCMD serve --verbose');
    expect(step(program, 'entrypoint').value).toEqual(['/bin/sh', '-c', 'exec /app --port 8080']);
    expect(step(program, 'cmd').value).toEqual(['/bin/sh', '-c', 'serve --verbose']);
  });

  it('take text that only looks like JSON as the shell form', () => {
    expect(step(interpret('FROM scratch\nCMD [not json'), 'cmd').value).toEqual(['/bin/sh', '-c', '[not json']);
  });
});

describe('EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, LABEL', () => {
  it('EXPOSE defaults to /tcp and keeps an explicit protocol', () => {
    expect(step(interpret('FROM scratch\nARG PORT=15010\nEXPOSE 8080 53/udp 9090/tcp $PORT'), 'expose').ports).toEqual([
      '8080/tcp',
      '53/udp',
      '9090/tcp',
      '15010/tcp',
    ]);
  });

  it('VOLUME takes the JSON and the plain form', () => {
    expect(step(interpret('FROM scratch\nVOLUME ["/data", "/logs"]'), 'volume').paths).toEqual(['/data', '/logs']);
    expect(step(interpret('FROM scratch\nVOLUME /data /logs'), 'volume').paths).toEqual(['/data', '/logs']);
  });

  it('USER, WORKDIR and STOPSIGNAL are expanded and kept', () => {
    const program = interpret('FROM scratch\nARG UID=1337\nUSER $UID:$UID\nWORKDIR /var/lib/${UID}\nSTOPSIGNAL SIGQUIT');
    expect(step(program, 'user').value).toBe('1337:1337');
    expect(step(program, 'workdir')).toMatchObject({ path: '/var/lib/1337', line: 4 });
    expect(step(program, 'stopsignal').value).toBe('SIGQUIT');
  });

  it('LABEL takes several pairs, continuation lines and quotes', () => {
    expect(labels(interpret('FROM scratch\nLABEL org.opencontainers.image.title="base" \\\n      description="users and groups"'))).toEqual({
      'org.opencontainers.image.title': 'base',
      description: 'users and groups',
    });
  });
});

describe('instructions the native builder cannot do', () => {
  it.each([
    ['RUN', 'FROM scratch\nCOPY a /a\nRUN ["/a"]', 3, /RUN cannot be built by the native builder/],
    ['HEALTHCHECK', 'FROM scratch\n\nHEALTHCHECK CMD ["/a"]', 3, /HEALTHCHECK cannot be built by the native builder/],
    ['ONBUILD', 'FROM scratch\nONBUILD COPY . /app', 2, /ONBUILD cannot be built by the native builder/],
    ['SHELL', 'FROM scratch\nSHELL ["/bin/bash", "-c"]', 2, /SHELL cannot be built by the native builder/],
    ['COPY --from', 'FROM scratch AS build\nCOPY a /a\nFROM scratch\nCOPY --from=build /a /a', 4, /COPY --from cannot be built by the native builder/],
    ['ADD <url>', 'FROM scratch\nADD https://example.invalid/file.txt /file.txt', 2, /ADD <url> cannot be built by the native builder/],
  ])('%s is a usage error naming the Dockerfile, the line and the instruction', (_name, text, line, message) => {
    const error = thrown(() => interpret(text));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`${FILE}:${line}:`);
    expect(error.message).toMatch(message);
    expect(error.location).toEqual({ file: FILE, line, column: 1 });
  });

  it('an instruction before the first FROM is an error', () => {
    expect(thrown(() => interpret('COPY a /a\nFROM scratch')).message).toContain(`${FILE}:1: COPY before the first FROM`);
  });

  it('a Dockerfile without FROM is an error', () => {
    expect(thrown(() => interpret('ARG X=1')).message).toContain('no FROM instruction');
  });
});
