/**
 * The machine-readable record of a run (`--report FILE`): every job with its status and timing,
 * and every image with its references and digests. Carries a schema version; whatever reads a
 * report back (`merge`, `push --from`) checks it.
 */
import { usageError } from '../errors.js';
import { formatPlatform } from '../platform.js';
import type { BuiltImage } from '../image/built-image.js';
import type { ImageBuildJob, Plan } from '../plan/types.js';
import { writeFileAtomic } from '../run/atomic-files.js';
import type { Reporter, RunEvent } from '../run/events.js';
import { checkReportShape } from './report-shape.js';
import { redactText } from '../registry/redact.js';

export const REPORT_SCHEMA_VERSION = 1;

export interface ReportedPlatformImage {
  platform: string;
  digest: string;
  /** Bytes of the platform's manifest (its descriptor's size), not of the image: see compressedSize. */
  size: number;
  mediaType: string;
  /** What the image weighs: the compressed bytes of its layers. Absent where the manifest was not read. */
  compressedSize?: number;
}

export interface ReportedImage {
  image: string;
  variant: string;
  /** Repository per hub (`127.0.0.1:5555/mesh/pilot`), or the layout/engine where it lives. */
  repository: string;
  /** Full references written (tags); empty for --push-by-digest. */
  refs: string[];
  /** The index (manifest list) digest. */
  digest: string;
  mediaType: string;
  /** Bytes of the index (its descriptor's size); the image's weight is each platform's compressedSize. */
  size: number;
  platforms: ReportedPlatformImage[];
  /** How long the job that built it ran (absent when this run did not build it). */
  durationMs?: number;
}

/** An image --load put into the engine's image store, once per variant. */
export interface LoadedImage {
  image: string;
  variant: string;
  /** The names it was loaded as (`hub/pilot:1.2.3`). */
  refs: string[];
  /** The index (or, for one platform, the manifest) digest buildx reported. */
  digest: string;
  platforms: string[];
  durationMs?: number;
}

export interface ReportedJob {
  id: string;
  kind: string;
  title: string;
  status: 'succeeded' | 'failed' | 'skipped' | 'not-run';
  startedAt?: string;
  durationMs?: number;
  /** Succeeded without doing anything: its inputs and outputs were those of its last run. */
  upToDate?: boolean;
  error?: { message: string; detail?: string };
  reason?: string;
}

export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: 'meshbuild';
  version: string;
  platforms: string[];
  hubs: string[];
  tags: string[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  ok: boolean;
  jobs: ReportedJob[];
  images: ReportedImage[];
  /** Images loaded into the local Docker Engine (--load): there by name, not in a registry. */
  loaded?: LoadedImage[];
  /** Why the run stopped before any job started (a registry that does not answer, no Go). */
  error?: { message: string; hint?: string };
}

/** Builds the report from the event stream and writes it (atomically) when the run ends. */
export class JsonReportWriter implements Reporter {
  private plan: Plan | undefined;
  private readonly jobs = new Map<string, ReportedJob>();
  private readonly images: ReportedImage[] = [];
  private readonly loaded: LoadedImage[] = [];
  private startedAt = 0;
  private finished: Extract<RunEvent, { type: 'run-finished' }> | undefined;
  private startError: RunReport['error'];

  /** Image build time by `image` and variant, for the images the publish job reports. */
  private readonly buildTimes = new Map<string, number>();

  /** `file`: where close() writes the report; none keeps it in memory for the summary only. */
  constructor(private readonly file?: string) {}

  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'run-started':
        this.plan = event.plan;
        this.startedAt = event.at;
        for (const job of event.plan.jobs) this.jobs.set(job.id, { id: job.id, kind: job.kind, title: job.title, status: 'not-run' });
        break;
      case 'job-started':
        Object.assign(this.jobs.get(event.job.id)!, { startedAt: new Date(event.at).toISOString() });
        break;
      case 'job-succeeded':
      case 'job-up-to-date':
        Object.assign(this.jobs.get(event.job.id)!, {
          status: 'succeeded',
          durationMs: event.durationMs,
          ...(event.type === 'job-up-to-date' ? { upToDate: true } : {}),
        });
        if (event.job.kind === 'image-build') for (const v of event.job.variants) this.buildTimes.set(`${event.job.image}\0${v.variant}`, event.durationMs);
        if (event.job.kind === 'publish') {
          for (const image of (event.result as { images: ReportedImage[] }).images) {
            const durationMs = this.buildTimes.get(`${image.image}\0${image.variant}`);
            this.images.push(durationMs === undefined ? image : { ...image, durationMs });
          }
        }
        // Pushed by digest with no publish step (CI shards): report the digests for `merge`.
        if (event.job.kind === 'image-build' && !this.plan?.jobs.some((j) => j.kind === 'publish')) {
          const built = event.result as BuiltImage;
          if (this.plan?.output?.kind === 'docker') this.loaded.push(...loadedImages(event.job, built, event.durationMs));
          else this.images.push(...reportedByDigest(event.job, built).map((image) => ({ ...image, durationMs: event.durationMs })));
        }
        break;
      case 'job-failed': {
        // Report files travel (CI artifacts): messages are scrubbed of credentials like printed ones.
        const error: ReportedJob['error'] = { message: redactText(event.failure.message) };
        if (event.failure.detail) error.detail = redactText(event.failure.detail);
        Object.assign(this.jobs.get(event.job.id)!, { status: 'failed', durationMs: event.durationMs, error });
        break;
      }
      case 'job-skipped':
        Object.assign(this.jobs.get(event.job.id)!, { status: 'skipped', reason: redactText(event.reason) });
        break;
      case 'run-finished':
        this.finished = event;
        break;
      default:
        break;
    }
  }

  /** The run could not start: records the plan it would have run and why, so the report still says. */
  recordStartFailure(plan: Plan, error: { message: string; hint?: string | undefined }): void {
    this.onEvent({ type: 'run-started', at: Date.now(), plan });
    const message = redactText(error.message);
    this.startError = error.hint === undefined ? { message } : { message, hint: redactText(error.hint) };
  }

  report(): RunReport {
    const plan = this.plan;
    return {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: 'meshbuild',
      version: plan?.version ?? '',
      platforms: (plan?.platforms ?? []).map(formatPlatform),
      hubs: plan?.hubs ?? [],
      tags: plan?.tags ?? [],
      startedAt: new Date(this.startedAt).toISOString(),
      finishedAt: new Date(this.finished?.at ?? this.startedAt).toISOString(),
      durationMs: this.finished?.durationMs ?? 0,
      ok: this.finished?.ok ?? false,
      jobs: [...this.jobs.values()],
      images: this.images,
      ...(this.loaded.length > 0 ? { loaded: this.loaded } : {}),
      ...(this.startError ? { error: this.startError } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.file !== undefined) await writeFileAtomic(this.file, `${JSON.stringify(this.report(), null, 2)}\n`);
  }
}

/** One entry per variant and per repository the image was stored in, without tags. */
export function reportedByDigest(job: ImageBuildJob, built: BuiltImage): ReportedImage[] {
  return job.variants.flatMap((variant) =>
    built.storedIn.map((repository) => ({
      image: built.image,
      variant: variant.variant,
      repository,
      refs: [],
      digest: built.index.digest,
      mediaType: built.index.mediaType,
      size: built.index.size,
      platforms: reportedPlatforms(built),
    })),
  );
}

function loadedImages(job: ImageBuildJob, built: BuiltImage, durationMs: number): LoadedImage[] {
  const platforms = job.platforms.map(formatPlatform);
  return job.variants.map((variant) => ({
    image: built.image,
    variant: variant.variant,
    refs: variant.refs,
    digest: built.index.digest,
    platforms,
    durationMs,
  }));
}

export function reportedPlatforms(built: BuiltImage): ReportedPlatformImage[] {
  return built.platforms.map((p) => ({
    platform: p.platform,
    digest: p.descriptor.digest,
    size: p.descriptor.size,
    mediaType: p.descriptor.mediaType,
    ...(p.compressedSize !== undefined ? { compressedSize: p.compressedSize } : {}),
  }));
}

/** Parses a report written by meshbuild, checking its schema version and its shape (exit 2 naming the file and field). */
export function parseReport(text: string, file: string): RunReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw usageError(`${file} is not a meshbuild report (not JSON)`, { hint: 'pass a file written by --report' });
  }
  const report = value as Partial<RunReport> | null;
  if (typeof report !== 'object' || report === null || Array.isArray(report) || report.tool !== 'meshbuild' || typeof report.schemaVersion !== 'number') {
    throw usageError(`${file} is not a meshbuild report`, { hint: 'pass a file written by --report' });
  }
  if (report.schemaVersion !== REPORT_SCHEMA_VERSION) {
    throw usageError(`${file} has report schema version ${report.schemaVersion}; this meshbuild reads version ${REPORT_SCHEMA_VERSION}`, {
      hint: 'write the report again with this version of meshbuild',
    });
  }
  checkReportShape(report as Record<string, unknown>, file);
  return report as RunReport;
}
