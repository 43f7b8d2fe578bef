/** Where meshbuild's own files live: the shipped targets, Dockerfiles and the bundled sample. */
import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

export const DEFAULT_TARGETS_DIR = path.join(PACKAGE_ROOT, 'targets');
export const DEFAULT_SOURCE_DIR = path.join(PACKAGE_ROOT, 'examples', 'mesh');
