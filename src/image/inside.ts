/** Whether `candidate` is `root` or lies below it (after resolving `..`; symlinks are the caller's to resolve). */
import path from 'node:path';

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
