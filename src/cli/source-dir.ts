/**
 * The source tree a command builds when `--source` is not given: the current directory when it is
 * a mesh tree, so that `meshbuild all` inside an Istio checkout builds that checkout; otherwise
 * the bundled sample, said in one line so nobody mistakes its images for their own.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { OVERLAY_FILE_NAME } from '../config/load-config.js';
import { DEFAULT_SOURCE_DIR } from './paths.js';

export interface ChosenSource {
  dir: string;
  /** Set when the bundled sample was chosen for want of a mesh tree: one line for stderr. */
  notice?: string;
}

/** `given` if set; else `cwd` when it looks like a mesh tree; else the bundled sample. */
export function chooseSourceDir(given: string | undefined, cwd: string): ChosenSource {
  if (given !== undefined) return { dir: path.resolve(cwd, given) };
  if (isMeshTree(cwd)) return { dir: cwd };
  return {
    dir: DEFAULT_SOURCE_DIR,
    notice: `note: ${cwd} is not a mesh tree (no ${OVERLAY_FILE_NAME}, not an Istio checkout): using the bundled sample ${DEFAULT_SOURCE_DIR}; pass --source to choose`,
  };
}

/** A tree with its own `meshbuild.yaml`, or Istio's layout: its go module, or pilot/cmd beside Makefile.core.mk. */
export function isMeshTree(dir: string): boolean {
  if (existsSync(path.join(dir, OVERLAY_FILE_NAME))) return true;
  if (goModule(dir) === 'istio.io/istio') return true;
  return existsSync(path.join(dir, 'Makefile.core.mk')) && isDirectory(path.join(dir, 'pilot', 'cmd'));
}

function goModule(dir: string): string | undefined {
  try {
    return /^module\s+(\S+)/m.exec(readFileSync(path.join(dir, 'go.mod'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
