/**
 * Loads the targets graph: every `*.yaml` in the targets folder, then the overlay next to the
 * source (`<source>/meshbuild.yaml`), whose entries replace same-named ones. Schema first, then
 * the named rules; all problems are reported together as one usage error (exit 2).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { usageError, type Diagnostic } from '../errors.js';
import { parseDockerfile, type Dockerfile } from '../image/dockerfile.js';
import { parsePlatform, type Platform } from '../platform.js';
import type { Defaults, TargetSpec, ValidatedConfig, VariantSpec } from './model.js';
import { insideRoots, layerRoots, realPathProblem, sourceRoots } from './path-policy.js';
import { cycles, duplicateNames, namespaceOf, targetKey, unknownReferences } from './rules.js';
import { readTargetsFile, type TargetsFileContent } from './targets-file.js';
import { YamlSyntaxError, parseYamlDocument } from './yaml-document.js';

export const OVERLAY_FILE_NAME = 'meshbuild.yaml';

export interface LoadConfigOptions {
  /** Folder of `*.yaml` targets files. */
  targetsDir: string;
  /** Source tree root; its `meshbuild.yaml`, if any, is layered over the targets. */
  sourceDir: string;
}

export interface LoadedConfig extends ValidatedConfig {
  /** Parsed Dockerfiles by absolute path. */
  dockerfiles: Map<string, Dockerfile>;
}

const BUILTIN_DEFAULTS: Defaults = {
  platforms: [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')]
    .map((p) => (p.ok ? p.platform : undefined))
    .filter((p): p is Platform => p !== undefined),
  variants: ['default'],
  goLdflags: [],
};

export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  if (!existsSync(options.targetsDir) || !statSync(options.targetsDir).isDirectory()) {
    throw usageError(`--targets: ${options.targetsDir} is not a folder`, { hint: 'point --targets at a folder of *.yaml targets files' });
  }
  if (!existsSync(options.sourceDir) || !statSync(options.sourceDir).isDirectory()) {
    throw usageError(`--source: ${options.sourceDir} ${existsSync(options.sourceDir) ? 'is not a folder' : 'does not exist'}`, {
      hint: 'point --source at the source tree to build (an Istio checkout, or leave it out for the bundled sample)',
    });
  }
  const graphFiles = readdirSync(options.targetsDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(options.targetsDir, f));
  if (graphFiles.length === 0) throw usageError(`--targets: ${options.targetsDir} holds no *.yaml files`);
  const overlay = path.join(options.sourceDir, OVERLAY_FILE_NAME);

  const diagnostics: Diagnostic[] = [];
  const read = (file: string, layer: 'targets' | 'source'): TargetsFileContent | undefined => {
    try {
      const roots = { own: layerRoots(layer, options.targetsDir, options.sourceDir), source: sourceRoots(options.sourceDir) };
      const content = readTargetsFile(parseYamlDocument(readFileSync(file, 'utf8'), relative(file)), layer, file, roots);
      diagnostics.push(...content.diagnostics);
      return { ...content, file };
    } catch (error) {
      if (error instanceof YamlSyntaxError) {
        diagnostics.push({ message: `not valid YAML: ${error.reason}`, location: error.location });
        return undefined;
      }
      throw error;
    }
  };
  const layers = [graphFiles.map((f) => read(f, 'targets')), existsSync(overlay) ? [read(overlay, 'source')] : []];

  const targets = new Map<string, TargetSpec>();
  const variants = new Map<string, VariantSpec>();
  const defaults: Defaults = { ...BUILTIN_DEFAULTS };
  for (const layer of layers) {
    const contents = layer.filter((c): c is TargetsFileContent => c !== undefined);
    const specs = contents.flatMap((c) => c.specs);
    diagnostics.push(...duplicateNames(specs));
    for (const spec of specs) {
      const key = targetKey(namespaceOf(spec), spec.name);
      if (spec.layer === 'source' || !targets.has(key)) targets.set(key, spec);
    }
    for (const content of contents) {
      for (const variant of content.variants) variants.set(variant.name, variant);
      if (content.defaults.platforms) defaults.platforms = content.defaults.platforms;
      if (content.defaults.variants) defaults.variants = content.defaults.variants;
      if (content.defaults.goLdflags) defaults.goLdflags = content.defaults.goLdflags;
    }
  }
  if (!variants.has('default')) {
    variants.set('default', {
      name: 'default',
      args: {},
      tagSuffix: '',
      location: { file: '(built in)', line: 1, column: 1 },
      baseDir: options.targetsDir,
      layer: 'targets',
    });
  }
  diagnostics.push(...unknownReferences(targets), ...cycles(targets));
  for (const name of defaults.variants) {
    if (!variants.has(name)) diagnostics.push({ message: `defaults.variants names "${name}", which no "variants" section declares` });
  }

  const dockerfiles = new Map<string, Dockerfile>();
  const source = sourceRoots(options.sourceDir);
  for (const spec of targets.values()) {
    const own = layerRoots(spec.layer, options.targetsDir, options.sourceDir);
    // Symlinks followed: a path that reads well may still lead out of its root.
    const outside = (file: string, roots: typeof own, what: string, location = spec.location): boolean => {
      if (!insideRoots(file, roots)) return true; // reported while reading the file
      const problem = realPathProblem(file, roots);
      if (problem !== undefined) diagnostics.push({ message: `${what} ${relative(file)} ${problem}`, location });
      return problem !== undefined;
    };
    if (spec.kind === 'binary') outside(path.resolve(options.sourceDir, spec.package), source, `package of binary "${spec.name}"`, spec.packageLocation);
    if (spec.kind === 'image') {
      for (const file of spec.files) {
        if (file.root === 'targets') outside(file.from, own, `file of image "${spec.name}"`, file.location);
        else outside(path.resolve(options.sourceDir, file.from), source, `source file of image "${spec.name}"`, file.location);
      }
      const dockerfileRoots = spec.dockerfileRoot === 'source' ? source : own;
      if (outside(spec.dockerfile, dockerfileRoots, `dockerfile of image "${spec.name}"`, spec.dockerfileLocation)) continue;
      if (!dockerfiles.has(spec.dockerfile)) {
        // One the checkout lacks (an older Istio has no Dockerfile.ztunnel) matters only if the image is asked for.
        if (spec.dockerfileRoot === 'source' && !existsSync(spec.dockerfile)) continue;
        if (!existsSync(spec.dockerfile)) {
          diagnostics.push({
            message: `image "${spec.name}": Dockerfile ${relative(spec.dockerfile)} does not exist`,
            location: spec.dockerfileLocation ?? spec.location,
          });
          continue;
        }
        try {
          dockerfiles.set(spec.dockerfile, parseDockerfile(readFileSync(spec.dockerfile, 'utf8'), relative(spec.dockerfile)));
        } catch (error) {
          diagnostics.push({ message: error instanceof Error ? error.message : String(error), location: spec.location });
        }
      }
      for (const file of spec.files) {
        if (file.root === 'targets' && !existsSync(file.from)) {
          diagnostics.push({ message: `image "${spec.name}": file ${relative(file.from)} does not exist`, location: file.location });
        }
      }
    }
    if (spec.kind === 'artifact' && spec.path !== undefined && !spec.path.includes('{')) {
      const local = path.resolve(spec.baseDir, spec.path);
      if (outside(local, own, `path of artifact "${spec.name}"`, spec.pathLocation)) continue;
      if (!existsSync(local)) diagnostics.push({ message: `artifact "${spec.name}": path ${relative(local)} does not exist`, location: spec.location });
    }
  }

  if (diagnostics.length > 0) {
    const first = diagnostics[0]!;
    throw usageError(first.message, {
      diagnostics: diagnostics.slice(1),
      hint: diagnostics.length > 1 ? `fix these ${diagnostics.length} problems in the targets files` : 'fix the targets file and run again',
      ...(first.location ? { location: first.location } : {}),
    });
  }
  return { files: [...graphFiles, ...(existsSync(overlay) ? [overlay] : [])], targets, variants, defaults, dockerfiles };
}

/** Paths in messages are relative to where the user stands, so they can be clicked. */
function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}
