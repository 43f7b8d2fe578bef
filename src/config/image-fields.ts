/**
 * Reading an image's fields that name files or hold templates: its Dockerfile (next to the
 * targets file, or in the source tree), the files staged into its context, and its build args.
 */
import path from 'node:path';
import { imageArgProblem } from '../image/image-args.js';
import type { FieldReader } from './field-reader.js';
import type { ContextFileSpec, ImageSpec } from './model.js';
import type { PathRoots } from './path-policy.js';
import type { TargetsFileRoots } from './targets-file.js';
import type { YamlPath } from './yaml-document.js';

const FILE_KEYS = ['path', 'source', 'to'] as const;
const DOCKERFILE_KEYS = ['path', 'source'] as const;

/** Reports a path outside its root at its value; true when it may be used. */
export type Confine = (value: string, at: YamlPath, what: string, from: string, within: PathRoots) => boolean;

/** An image's `args`: each value a template ({version}, {env:NAME}, {deps:NAME}), checked here. */
export function readImageArgs(reader: FieldReader, record: Record<string, unknown>, p: YamlPath, what: string): Record<string, string> {
  const args = reader.stringMap(record, 'args', p, what);
  for (const [name, value] of Object.entries(args)) {
    const problem = imageArgProblem(value);
    if (problem !== undefined) reader.report([...p, 'args', name], `build arg ${name} of ${what} ${problem}`);
  }
  return args;
}

/**
 * `dockerfile: FILE` (next to the targets file) or `dockerfile: { source: FILE }` (in the source
 * tree, as Istio's graph names pilot/docker/Dockerfile.pilot). A path outside its root is reported
 * here, and the loader then does not read it.
 */
export function readDockerfile(
  reader: FieldReader,
  record: Record<string, unknown>,
  p: YamlPath,
  what: string,
  baseDir: string,
  confined: Confine,
  roots: TargetsFileRoots,
): Pick<ImageSpec, 'dockerfile' | 'dockerfileLocation' | 'dockerfileRoot'> | undefined {
  const at = [...p, 'dockerfile'];
  const value = record.dockerfile;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entry = reader.mapping(value, at, `"dockerfile" of ${what}`, DOCKERFILE_KEYS);
    if (!entry) return undefined;
    const fromTargets = reader.string(entry, 'path', at, `"dockerfile" of ${what}`);
    const fromSource = reader.string(entry, 'source', at, `"dockerfile" of ${what}`);
    if ((fromTargets === undefined) === (fromSource === undefined)) {
      reader.report(at, `"dockerfile" of ${what} needs exactly one of "path" (next to the targets file) or "source" (in the source tree)`);
      return undefined;
    }
    if (fromSource !== undefined) {
      const sourceDir = roots.source.dirs[0]!;
      confined(fromSource, [...at, 'source'], `dockerfile of ${what}`, sourceDir, roots.source);
      return { dockerfile: path.resolve(sourceDir, fromSource), dockerfileLocation: reader.at([...at, 'source']), dockerfileRoot: 'source' };
    }
    confined(fromTargets!, [...at, 'path'], `dockerfile of ${what}`, baseDir, roots.own);
    return { dockerfile: path.resolve(baseDir, fromTargets!), dockerfileLocation: reader.at([...at, 'path']), dockerfileRoot: 'targets' };
  }
  const file = reader.string(record, 'dockerfile', p, what, true);
  if (file === undefined) return undefined;
  confined(file, at, `dockerfile of ${what}`, baseDir, roots.own);
  return { dockerfile: path.resolve(baseDir, file), dockerfileLocation: reader.at(at), dockerfileRoot: 'targets' };
}

export function readContextFiles(
  reader: FieldReader,
  record: Record<string, unknown>,
  p: YamlPath,
  what: string,
  baseDir: string,
  confined: Confine,
  roots: TargetsFileRoots,
): ContextFileSpec[] {
  const value = record.files;
  if (value === undefined || value === null) return [];
  const listPath = [...p, 'files'];
  if (!Array.isArray(value)) {
    reader.report(listPath, `"files" of ${what} must be a list of {path: ..., to: ...} or {source: ..., to: ...}`);
    return [];
  }
  const files: ContextFileSpec[] = [];
  value.forEach((item, index) => {
    const itemPath = [...listPath, index];
    const entry = reader.mapping(item, itemPath, `a file of ${what}`, FILE_KEYS);
    if (!entry) return;
    const fromTargets = reader.string(entry, 'path', itemPath, `a file of ${what}`);
    const fromSource = reader.string(entry, 'source', itemPath, `a file of ${what}`);
    if ((fromTargets === undefined) === (fromSource === undefined)) {
      reader.report(itemPath, `a file of ${what} needs exactly one of "path" (next to the targets file) or "source" (in the source tree)`);
      return;
    }
    const from = (fromTargets ?? fromSource)!;
    const fromOk =
      fromTargets !== undefined
        ? confined(fromTargets, [...itemPath, 'path'], `path of a file of ${what}`, baseDir, roots.own)
        : confined(fromSource!, [...itemPath, 'source'], `source of a file of ${what}`, roots.source.dirs[0]!, roots.source);
    if (!fromOk) return;
    const to = reader.string(entry, 'to', itemPath, `a file of ${what}`) ?? path.posix.basename(from);
    if (path.posix.isAbsolute(to) || path.win32.isAbsolute(to) || to.split(/[\\/]/).includes('..') || to.includes('\0')) {
      reader.report([...itemPath, 'to'], `"to" of a file of ${what} must be a relative path inside the build context, without ".." (like etc/istio/mesh.yaml)`);
      return;
    }
    files.push({
      from: fromTargets !== undefined ? path.resolve(baseDir, fromTargets) : from,
      to: path.posix.normalize(to),
      location: reader.at(itemPath),
      root: fromTargets !== undefined ? 'targets' : 'source',
    });
  });
  return files;
}
