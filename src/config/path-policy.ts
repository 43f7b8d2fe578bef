/**
 * Targets files may come from a pull request, so every path they name must stay inside its root:
 * the folder above the targets folder for the graph (a targets folder may keep its Dockerfiles beside it), the source tree
 * for `<source>/meshbuild.yaml` and for every `source:` and `package:`. Two checks: a lexical one
 * while reading (absolute paths and `..` climbing out), and one with symlinks resolved (realpath)
 * wherever the file exists. Generated names (`fileName`) are one path segment.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { isInside } from '../image/inside.js';

/** Folders a path may lead into, and how messages name them. */
export interface PathRoots {
  dirs: string[];
  /** e.g. `the source tree (/src)`. */
  name: string;
}

/** The roots of one targets file's own paths (`path:`, `dockerfile:`, artifact `path:`). */
export function layerRoots(layer: 'targets' | 'source', targetsDir: string, sourceDir: string): PathRoots {
  if (layer === 'source') return sourceRoots(sourceDir);
  const parent = path.dirname(path.resolve(targetsDir));
  return { dirs: [parent], name: `the folder above the targets folder (${parent})` };
}

/** The root of `source:` files and binary `package:` paths. */
export function sourceRoots(sourceDir: string): PathRoots {
  const root = path.resolve(sourceDir);
  return { dirs: [root], name: `the source tree (${root})` };
}

/**
 * Where a local artifact (`path:`, placeholders filled) may be read from when it is fetched: the
 * roots of both layers, since the plan no longer says which layer declared it. Each layer's own
 * root was enforced on the template when the targets files were read.
 */
export function localArtifactRoots(targetsDir: string, sourceDir: string): PathRoots {
  const graph = layerRoots('targets', targetsDir, sourceDir);
  const source = sourceRoots(sourceDir);
  return { dirs: [...graph.dirs, ...source.dirs], name: `${graph.name} or ${source.name}` };
}

/** Placeholders of artifact templates (`{arch}`, `{env:NAME}`), checked again once filled. */
const PLACEHOLDER = /\{[^{}/\\]*\}/g;

/**
 * Why `value`, resolved against `baseDir`, is not acceptable, without touching the file system;
 * undefined when it stays inside `roots`. Placeholders count as plain names here.
 */
export function lexicalPathProblem(value: string, baseDir: string, roots: PathRoots): string | undefined {
  const text = value.replace(PLACEHOLDER, '_');
  if (text.includes('\0')) return 'holds a NUL character';
  if (path.isAbsolute(text) || path.posix.isAbsolute(text) || /^[A-Za-z]:[\\/]/.test(text))
    return `is an absolute path; name a path relative to the targets file, inside ${roots.name}`;
  if (!insideRoots(path.resolve(baseDir, text), roots)) return `leads outside ${roots.name}; name a path inside it`;
  return undefined;
}

/** Whether the absolute path `resolved` lies in one of `roots`, by its text (symlinks not followed). */
export function insideRoots(resolved: string, roots: PathRoots): boolean {
  return roots.dirs.some((dir) => isInside(dir, resolved));
}

/**
 * Why the existing file at `resolved` is not acceptable once symlinks are followed; undefined when
 * its real path is inside one of `roots` (or when it does not exist: that is reported elsewhere).
 */
export function realPathProblem(resolved: string, roots: PathRoots): string | undefined {
  const real = realOrUndefined(resolved);
  if (real === undefined) return undefined;
  const realRoots = roots.dirs.map((dir) => realOrUndefined(dir) ?? dir);
  if (realRoots.some((dir) => isInside(dir, real))) return undefined;
  return `leads outside ${roots.name} through a symlink (it is ${real}); copy the file inside, or point the link inside`;
}

/** Why `value` cannot be a file name in `out/<os>_<arch>/` and in image contexts; undefined if it can. */
export function fileNameProblem(value: string): string | undefined {
  if (value === '' || value === '.' || value === '..') return 'must be a file name, not empty, "." or ".."';
  if (/[\\/]/.test(value)) return 'must be one file name, without "/" or "\\" (it names a file in out/<os>_<arch>/)';
  if (value.includes('\0')) return 'holds a NUL character';
  return undefined;
}

function realOrUndefined(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}
