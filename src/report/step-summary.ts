/**
 * The summary as Markdown for GitHub's step summary: a heading with the outcome, the images as a
 * table (references in code spans, so they copy cleanly), where the output went, the next command,
 * and the run's timeline as a Mermaid Gantt chart, which GitHub draws.
 */
import { formatBytes, formatDuration } from './format.js';
import { renderGantt } from './gantt.js';
import type { RunSummaryView } from './run-summary.js';
import { shortPlatform } from './summary-text.js';
import type { Timeline } from './timeline.js';

export function formatStepSummary(view: RunSummaryView, timeline?: Timeline): string {
  const outcome = view.ok ? `done in ${formatDuration(view.durationMs)}` : `failed after ${formatDuration(view.durationMs)}`;
  const lines = [`### meshbuild ${view.command}: ${outcome}`, ''];
  if (view.images.length > 0) {
    lines.push('| image | variant | platforms | tags | compressed | time | reference |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const row of view.images) {
      const sizes = row.platforms.map((p) => (row.compressedSize?.[p] !== undefined ? formatBytes(row.compressedSize[p]) : '-'));
      lines.push(
        `| ${cell(row.image)} | ${cell(row.variant)} | ${row.platforms.map(shortPlatform).join(', ')} | ${row.tags.map(cell).join(', ') || '-'} | ` +
          `${row.compressedSize ? sizes.join(', ') : '-'} | ${row.durationMs !== undefined ? formatDuration(row.durationMs) : '-'} | \`${row.reference}\` |`,
      );
    }
    lines.push('');
  }
  lines.push(`${view.images.length} image${view.images.length === 1 ? '' : 's'} to ${cell(view.output)}.`);
  if (view.next !== undefined) lines.push('', 'Next:', '', '```sh', view.next, '```');
  if (timeline && timeline.jobs.some((job) => job.startMs !== undefined && job.endMs !== undefined)) {
    lines.push('', '#### Timeline', '', '```mermaid', renderGantt(timeline).trimEnd(), '```');
  }
  return `${lines.join('\n')}\n`;
}

/** Table cells may not hold `|` or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
