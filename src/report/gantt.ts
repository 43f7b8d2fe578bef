/**
 * A run's timeline as a Mermaid Gantt chart (GitHub renders Mermaid in Markdown and in step
 * summaries): one bar per job that ran, a section per kind of job, the critical path as `crit`.
 */
import type { JobKind } from '../plan/types.js';
import { formatDuration } from './format.js';
import type { Timeline, TimelineJob } from './timeline.js';

const SECTIONS: Array<{ kind: JobKind; title: string }> = [
  { kind: 'fetch', title: 'Downloads' },
  { kind: 'go-build', title: 'Go builds' },
  { kind: 'image-build', title: 'Images' },
  { kind: 'publish', title: 'Publish' },
];

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
      const tags = [critical.has(job.id) ? 'crit' : undefined, job.outcome === 'succeeded' ? 'done' : 'active'].filter((t) => t !== undefined);
      lines.push(`  ${ganttText(barLabel(job))} :${tags.join(', ')}, ${Math.round(job.startMs!)}, ${Math.round(job.endMs!)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function ganttTitle(timeline: Timeline): string {
  const state = timeline.interrupted ? 'interrupted' : timeline.ok ? 'ok' : 'failed';
  return `meshbuild run ${formatDuration(timeline.durationMs)}, ${state}`;
}

function barLabel(job: TimelineJob): string {
  const what = job.kind === 'go-build' ? goBuildLabel(job.target.split(',').length) : job.kind === 'publish' ? 'write tags' : job.target;
  const failed = job.outcome === 'failed' ? ' (failed)' : '';
  return `${what}${job.platform !== undefined ? ` ${job.platform}` : ''}${failed}`;
}

function goBuildLabel(binaries: number): string {
  return `go build ${binaries} ${binaries === 1 ? 'binary' : 'binaries'}`;
}

/** Mermaid ends a task name at `:` and a statement at `;`, and reads `#` as an entity: keep them out of labels. */
function ganttText(text: string): string {
  return text.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
}
