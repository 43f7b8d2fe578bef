/**
 * The summary at the end of a run, rendered from a fixed event stream: golden files for the
 * terminal (ANSI codes removed), the CI log and GitHub's step summary, and the JSON shape.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonReportWriter } from '../../../src/report/json-report.js';
import { describeDestination, nextCommand, summarizeReport } from '../../../src/report/run-summary.js';
import { formatStepSummary } from '../../../src/report/step-summary.js';
import { formatSummaryText, PLAIN, TERMINAL } from '../../../src/report/summary-text.js';
import { timelineOf } from '../../../src/report/timeline.js';
import type { RunEvent } from '../../../src/run/events.js';
import { stripAnsi } from '../../support/cli.js';
import { publishedImages, publishedRun } from './summary-run.js';
import type { ImageBuildJob } from '../../../src/plan/types.js';
import { runEvents, sampleJobs, samplePlan } from './sample-run.js';

const GOLDEN = path.resolve(import.meta.dirname, '../../fixtures/golden');
const golden = (name: string) => readFileSync(path.join(GOLDEN, name), 'utf8');

function summaryOf(events: RunEvent[]) {
  const writer = new JsonReportWriter();
  for (const event of events) writer.onEvent(event);
  return summarizeReport(writer.report(), { command: 'all', output: 'registry.example.com/mesh' });
}

describe('run summary', () => {
  it('has one row per image and variant, with sizes per platform, build times and the next command', () => {
    const view = summaryOf(publishedRun());
    expect(view.images.map((row) => [row.image, row.variant, row.tags, row.durationMs, row.compressedSize])).toEqual([
      ['pilot', 'default', ['1.2.3'], 4200, { 'linux/amd64': 31_457_280, 'linux/arm64': 29_884_416 }],
      ['proxyv2', 'default', ['1.2.3'], 6900, { 'linux/amd64': 78_643_200, 'linux/arm64': 75_497_472 }],
      ['proxyv2', 'debug', ['1.2.3-debug'], 6900, { 'linux/amd64': 80_740_352, 'linux/arm64': 77_594_624 }],
    ]);
    expect(view.images[0]!.reference).toBe(`registry.example.com/mesh/pilot@sha256:${'1'.repeat(64)}`);
    expect(view.next).toBe('istioctl install --set hub=registry.example.com/mesh --set tag=1.2.3');
    expect(view.durationMs).toBe(12_610);
  });

  it('renders the terminal table (ANSI removed) as the golden file', () => {
    expect(stripAnsi(formatSummaryText(summaryOf(publishedRun()), TERMINAL))).toBe(golden('summary-tty.txt'));
  });

  it('renders the CI log table as the golden file, with no escape codes', () => {
    const text = formatSummaryText(summaryOf(publishedRun()), PLAIN);
    expect(text).not.toContain('\x1b');
    expect(text).toBe(golden('summary-ci.txt'));
  });

  it("renders GitHub's step summary (table, next command, Gantt chart) as the golden file", () => {
    const events = publishedRun();
    expect(formatStepSummary(summaryOf(events), timelineOf(events))).toBe(golden('step-summary.md'));
  });

  it('says a failed run failed and offers no next command', () => {
    const events = publishedRun().map((e) => (e.type === 'run-finished' ? { ...e, ok: false } : e));
    const view = summaryOf(events);
    expect(view.next).toBeUndefined();
    expect(formatSummaryText(view).split('\n').at(-2)).toBe('all: failed after 12.6s; 3 images to registry.example.com/mesh');
  });

  it('suggests istioctl only when pilot and proxyv2 are both tagged in the hub', () => {
    const writer = new JsonReportWriter();
    for (const event of publishedRun()) writer.onEvent(event);
    const report = writer.report();
    expect(nextCommand({ ...report, images: report.images.filter((i) => i.image !== 'pilot') })).toBeUndefined();
    expect(nextCommand({ ...report, images: report.images.map((i) => ({ ...i, refs: [] })) })).toBeUndefined();
  });

  it('names where the output went', () => {
    expect(describeDestination({ kind: 'registry' }, ['a.io/x', 'b.io/y'])).toBe('a.io/x, b.io/y');
    expect(describeDestination({ kind: 'oci', dir: '/out/images' }, [])).toBe('oci:/out/images');
    expect(describeDestination({ kind: 'docker' }, [])).toBe('the local Docker Engine');
  });

  it('keeps the report size fields as descriptor sizes and adds the compressed size per platform', () => {
    const writer = new JsonReportWriter();
    for (const event of publishedRun()) writer.onEvent(event);
    const pilot = writer.report().images[0]!;
    expect(pilot.size).toBe(publishedImages[0]!.size);
    expect(pilot.platforms.map((p) => p.compressedSize)).toEqual([31_457_280, 29_884_416]);
    expect(pilot.durationMs).toBe(4200);
  });

  it('lists images loaded into the engine (--load, no publish step) by the names they were loaded as', () => {
    const HUB = 'localhost/mesh';
    const digest = `sha256:${'9'.repeat(64)}`;
    const jobs = sampleJobs
      .filter((job) => job.kind !== 'publish')
      .map((job) =>
        job.kind === 'image-build'
          ? { ...job, variants: job.variants.map((v) => ({ ...v, refs: [`${HUB}/${job.image}:1.2.3${v.variant === 'debug' ? '-debug' : ''}`] })) }
          : job,
      );
    const plan = { ...samplePlan(jobs), tags: ['1.2.3'], output: { kind: 'docker' as const } };
    const events = runEvents(
      [
        ['fetch:envoy:linux_amd64', 0, 50],
        ['go:linux_amd64', 0, 80],
        ['go:linux_arm64', 0, 90],
        ['image:base', 0, 100],
        ['image:proxyv2', 100, 2100],
      ],
      2200,
      plan,
    ).map((event) => (event.type === 'job-succeeded' ? { ...event, result: { image: (event.job as ImageBuildJob).image, index: { digest } } } : event));
    const writer = new JsonReportWriter();
    for (const event of events) writer.onEvent(event);
    const report = writer.report();
    expect(report.images).toEqual([]);
    const view = summarizeReport(report, { command: 'build', output: describeDestination(plan.output, []) });
    expect(view.images.map((row) => [row.image, row.variant, row.platforms, row.tags, row.reference, row.durationMs])).toEqual([
      ['base', 'default', ['linux/amd64', 'linux/arm64'], ['1.2.3'], `${HUB}/base@${digest}`, 100],
      ['proxyv2', 'default', ['linux/amd64', 'linux/arm64'], ['1.2.3'], `${HUB}/proxyv2@${digest}`, 2000],
      ['proxyv2', 'debug', ['linux/amd64', 'linux/arm64'], ['1.2.3-debug'], `${HUB}/proxyv2@${digest}`, 2000],
    ]);
    expect(formatSummaryText(view, PLAIN).split('\n').at(-2)).toBe('build: done in 2.2s; 3 images to the local Docker Engine');
  });
});
