/** Where meshbuild's own files live: the shipped targets, Dockerfiles and the bundled sample. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels up from this module in both `src/cli` and `dist/cli`. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_TARGETS_DIR = path.join(PACKAGE_ROOT, 'targets');
export const DEFAULT_SOURCE_DIR = path.join(PACKAGE_ROOT, 'examples', 'mesh');
