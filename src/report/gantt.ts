/**
 * A run's timeline as a Mermaid Gantt chart (GitHub renders Mermaid in Markdown and in step
 * summaries): one bar per job that ran, a section per kind of job, the critical path as `crit`.
 */
import type { JobKind } from '../plan/types.js';
import { formatDuration } from './format.js';
import { jobLabel, type Timeline, type TimelineOutcome } from './timeline.js';

const SECTIONS: Array<{ kind: JobKind; title: string }> = [
  { kind: 'fetch', title: 'Downloads' },
  { kind: 'go-build', title: 'Go builds' },
  { kind: 'image-build', title: 'Images' },
  { kind: 'publish', title: 'Publish' },
];

const OUTCOME_NOTE: Record<TimelineOutcome, string> = {
  succeeded: '',
  'up-to-date': ' (up to date)',
  failed: ' (failed)',
  skipped: ' (cancelled)',
  'not-run': '',
};

/** The chart's text, without the ```mermaid fence. Jobs that never started have no bar. */
export function renderGantt(timeline: Timeline): string {
  const critical = new Set(timeline.criticalPath);
  // `x`: start and end are epoch milliseconds; the run starts at 0, so the axis reads as elapsed time.
  const lines = [
    'gantt',
    `  title ${ganttText(ganttTitle(timeline))}`,
    '  dateFormat x',
    `  axisFormat ${timeline.durationMs >= 3_600_000 ? '%H:%M:%S' : '%M:%S'}`,
  ];
  for (const section of SECTIONS) {
    const jobs = timeline.jobs.filter((job) => job.kind === section.kind && job.startMs !== undefined && job.endMs !== undefined);
    if (jobs.length === 0) continue;
    lines.push(`  section ${section.title}`);
    for (const job of jobs) {
      const tags = [critical.has(job.id) ? 'crit' : undefined, job.outcome === 'succeeded' || job.outcome === 'up-to-date' ? 'done' : 'active'].filter(
        (t) => t !== undefined,
      );
      const label = ganttText(`${jobLabel(job)}${OUTCOME_NOTE[job.outcome]}`);
      lines.push(`  ${label} :${tags.join(', ')}, ${Math.round(job.startMs!)}, ${Math.round(job.endMs!)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function ganttTitle(timeline: Timeline): string {
  const state = timeline.interrupted ? 'interrupted' : timeline.ok ? 'ok' : 'failed';
  return `meshbuild run ${formatDuration(timeline.durationMs)}, ${state}`;
}

/** Mermaid ends a task name at `:` and a statement at `;`, and reads `#` as an entity: keep them out of labels. */
function ganttText(text: string): string {
  return text.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
}
