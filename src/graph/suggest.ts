/**
 * "Did you mean": the known names closest to a mistyped one, by edit distance (a swap of two
 * neighbouring letters counts as one edit, so `pilto` finds `pilot`), and names that contain it
 * or are contained in it (`istio` finds `istioctl`).
 */

/** Edits (insert, delete, replace, swap neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * Up to `limit` names of `known` close to `name`, closest first: within a third of its length in
 * edits (at least one), or containing it, or contained in it.
 */
export function closestNames(name: string, known: Iterable<string>, limit = 4): string[] {
  const allowed = Math.max(1, Math.floor(name.length / 3));
  const scored: Array<{ candidate: string; score: number }> = [];
  for (const candidate of new Set(known)) {
    if (candidate === name) continue;
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    const contains = candidate.includes(name) || name.includes(candidate);
    if (distance <= allowed || contains) scored.push({ candidate, score: distance <= allowed ? distance : allowed + distance });
  }
  return scored
    .sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate))
    .slice(0, limit)
    .map((s) => s.candidate);
}
