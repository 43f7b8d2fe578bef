/**
 * The end of a run, as data: one row per image and variant with where it went, its platforms,
 * digest, compressed size and build time; the total time; where the output went; and the command
 * to use it next. Built from a run report (which, for `all`/`build`/`release`, the event stream
 * fills); the terminal table, the CI log, `--json` and the GitHub step summary all render this.
 */
import type { RunReport } from './json-report.js';

const SUMMARY_SCHEMA_VERSION = 1;

export interface SummaryRow {
  image: string;
  variant: string;
  platforms: string[];
  /** `repository@digest`: what to pull, whatever the tags do later. */
  reference: string;
  /** Tags written for it (`1.2.3`, `latest`); empty when pushed by digest only or kept in a layout. */
  tags: string[];
  /** Compressed bytes of the layers, per platform; absent when the store was not read (loaded images). */
  compressedSize?: Record<string, number>;
  /** How long its build job ran; absent when nothing was built (push, mirror, merge). */
  durationMs?: number;
}

export interface RunSummaryView {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION;
  /** The command that ran: `all`, `build`, `push`, `mirror`, `release`, `merge`. */
  command: string;
  ok: boolean;
  durationMs: number;
  images: SummaryRow[];
  /** Where the output went: hubs, a layout folder, the local engine. */
  output: string;
  /** What to run next, when there is an obvious next step. */
  next?: string;
}

/** The images that make a mesh installable with istioctl from a hub. */
const ISTIO_CORE = ['pilot', 'proxyv2'];

export function summarizeReport(report: RunReport, context: { command: string; output: string; durationMs?: number }): RunSummaryView {
  const images: SummaryRow[] = report.images.map((image) => {
    const row: SummaryRow = {
      image: image.image,
      variant: image.variant,
      platforms: image.platforms.map((p) => p.platform),
      reference: `${image.repository}@${image.digest}`,
      tags: image.refs.map(tagOf),
    };
    const sizes = image.platforms.filter((p) => p.compressedSize !== undefined);
    if (sizes.length > 0) row.compressedSize = Object.fromEntries(sizes.map((p) => [p.platform, p.compressedSize!]));
    if (image.durationMs !== undefined) row.durationMs = image.durationMs;
    return row;
  });
  for (const image of report.loaded ?? []) {
    // Loaded under names with a tag each (`hub/pilot:1.2.3`): the engine's store has them by that name.
    const repository = image.refs[0]?.slice(0, image.refs[0].lastIndexOf(':')) ?? image.image;
    const row: SummaryRow = {
      image: image.image,
      variant: image.variant,
      platforms: image.platforms,
      reference: `${repository}@${image.digest}`,
      tags: image.refs.map(tagOf),
    };
    if (image.durationMs !== undefined) row.durationMs = image.durationMs;
    images.push(row);
  }
  const view: RunSummaryView = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    command: context.command,
    ok: report.ok,
    durationMs: context.durationMs ?? report.durationMs,
    images,
    output: context.output,
  };
  const next = nextCommand(report);
  if (next !== undefined && report.ok) view.next = next;
  return view;
}

const tagOf = (reference: string) => reference.slice(reference.lastIndexOf(':') + 1);

/** `istioctl install --set hub=H --set tag=T` once pilot and proxyv2 are tagged in one hub. */
export function nextCommand(report: RunReport): string | undefined {
  for (const hub of report.hubs) {
    for (const tag of report.tags) {
      const tagged = (name: string) => report.images.some((i) => i.image === name && i.refs.includes(`${hub}/${name}:${tag}`));
      if (ISTIO_CORE.every(tagged)) return `istioctl install --set hub=${hub} --set tag=${tag}`;
    }
  }
  return undefined;
}

/** Where a run's images went, in words, from its hubs or its --output. */
export function describeDestination(output: { kind: string; dir?: string } | null | undefined, hubs: readonly string[]): string {
  if (!output) return 'binaries only (no images)';
  switch (output.kind) {
    case 'registry':
      return hubs.join(', ');
    case 'docker':
      return 'the local Docker Engine';
    default:
      return `${output.kind}:${output.dir ?? ''}`;
  }
}
