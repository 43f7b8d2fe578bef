/**
 * The summary as a table of text for a terminal or a CI log: one row per image and variant,
 * columns padded to fit, then the total time, where the output went and what to run next.
 * `style` adds bold headings and a coloured outcome for a terminal; a log gets plain text.
 */
import { formatBytes, formatDuration } from './format.js';
import type { RunSummaryView, SummaryRow } from './run-summary.js';

export interface TextStyle {
  bold(text: string): string;
  good(text: string): string;
  bad(text: string): string;
}

export const PLAIN: TextStyle = { bold: (t) => t, good: (t) => t, bad: (t) => t };
export const TERMINAL: TextStyle = {
  bold: (t) => `\x1b[1m${t}\x1b[22m`,
  good: (t) => `\x1b[32m${t}\x1b[39m`,
  bad: (t) => `\x1b[31m${t}\x1b[39m`,
};

// The reference last: it is the longest cell, and the one people copy.
const HEADINGS = ['image', 'variant', 'platforms', 'tags', 'compressed', 'time', 'reference'];

export function formatSummaryText(view: RunSummaryView, style: TextStyle = PLAIN): string {
  const lines: string[] = [];
  if (view.images.length > 0) {
    const rows = view.images.map(cells);
    const widths = HEADINGS.map((heading, column) => Math.max(heading.length, ...rows.map((row) => row[column]!.length)));
    const line = (row: string[]) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd();
    lines.push(style.bold(line(HEADINGS)));
    for (const row of rows) lines.push(line(row));
  }
  const outcome = view.ok
    ? style.good(`${view.command}: done in ${formatDuration(view.durationMs)}`)
    : style.bad(`${view.command}: failed after ${formatDuration(view.durationMs)}`);
  const count = `${view.images.length} image${view.images.length === 1 ? '' : 's'}`;
  lines.push(`${outcome}; ${count} to ${view.output}`);
  if (view.next !== undefined) lines.push(`next: ${view.next}`);
  return `${lines.join('\n')}\n`;
}

/** Platforms and sizes share one order: `amd64,arm64` and `12.1 MiB, 11.8 MiB`. */
function cells(row: SummaryRow): string[] {
  const platforms = row.platforms.map(shortPlatform);
  const sizes = row.compressedSize ? row.platforms.map((p) => (row.compressedSize![p] !== undefined ? formatBytes(row.compressedSize![p]!) : '-')) : [];
  return [
    row.image,
    row.variant,
    platforms.join(','),
    row.tags.length > 0 ? row.tags.join(',') : '-',
    sizes.length > 0 ? sizes.join(', ') : '-',
    row.durationMs !== undefined ? formatDuration(row.durationMs) : '-',
    row.reference,
  ];
}

/** `linux/arm64` -> `arm64`: every platform meshbuild builds is linux. */
export function shortPlatform(platform: string): string {
  return platform.startsWith('linux/') ? platform.slice('linux/'.length) : platform;
}
