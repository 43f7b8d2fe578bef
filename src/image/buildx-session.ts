/**
 * One BuildKit session for every buildx image of a run: one `docker buildx bake` of a definition
 * generated from the plan (bake-definition.ts), bases linked as `target:` named contexts.
 *
 * Each image keeps its own job (its events, its failure, its result): the job stages its context,
 * reads its registry bases, hands the image in here and waits, outside the --jobs limit, for its
 * targets' results. The bake starts once every buildx image of the run is handed in (or will
 * never be: a job skipped or failed first). Baking as images become ready would mean several
 * sessions, each re-sending shared bases and contexts and putting the bases back on the critical
 * path; the Go builds and staging before it are short next to the image builds, and inside one
 * session BuildKit runs every image's steps at once, deduplicated, as bake does.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stepError } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import type { ImageBuildJob } from '../plan/types.js';
import type { Platform } from '../platform.js';
import { makeTempDir } from '../run/atomic-files.js';
import type { RunEvent } from '../run/events.js';
import { CommandNotFoundError, runProcess } from '../run/process.js';
import type { JobContext } from '../run/scheduler.js';
import { bakeArgs, bakeDefinition, type BakeImage, type BakeTarget } from './bake-definition.js';
import { BakeProgress, type BakeStepFailure } from './bake-progress.js';
import { descriptorFromMetadata } from './buildx-results.js';
import type { BuiltImage } from './built-image.js';
import { namedContextsOf } from './buildx-builder.js';
import { dockerMissing } from './docker-preflight.js';
import { explainBakeFailure } from './bake-failure.js';

export interface BuildxSessionOptions {
  outDir: string;
  /** Provenance and SBOM attestations (they add unknown/unknown index entries). */
  attest: boolean;
  /** `--builder NAME`: a buildx builder other than the current one. */
  builderName?: string;
  /** SOURCE_DATE_EPOCH for reproducible output. */
  sourceDateEpoch: string;
  /** One target per platform (a builder of several nodes); meshbuild joins them into the index. */
  perPlatform: boolean;
  /** After a failure, build again the images it cancelled that do not need the failed one. */
  keepGoing: boolean;
}

/** What one target of an image built. */
export interface BakeTargetResult {
  platforms: Platform[];
  /** The OCI layout buildx wrote (absent for --load). */
  layoutDir?: string;
  /** From the metadata file. */
  descriptor: Descriptor;
}

interface Entry {
  image: BakeImage;
  context: JobContext;
  resolve(results: BakeTargetResult[]): void;
  reject(error: unknown): void;
  settled: boolean;
}

export class BuildxSession {
  private readonly order: string[];
  private readonly awaited: Set<string>;
  private readonly entries = new Map<string, Entry>();
  /** Session images that were up to date (never handed in): what images built on them link to instead. */
  private readonly upToDate = new Map<string, BuiltImage>();
  private started = false;

  constructor(
    jobs: ImageBuildJob[],
    private readonly options: BuildxSessionOptions,
  ) {
    this.order = jobs.map((j) => j.id);
    this.awaited = new Set(this.order);
  }

  /** Whether BuildKit writes attestations (then it also compresses the layers: see BakeOptions.attest). */
  get attests(): boolean {
    return this.options.attest;
  }

  /** Whether a job's image is built in this session (then its bases are `target:` links, not results). */
  has(jobId: string): boolean {
    return this.order.includes(jobId);
  }

  /** Hands an image in and waits until the session has built it (or failed it). */
  build(image: BakeImage, context: JobContext): Promise<BakeTargetResult[]> {
    return new Promise((resolve, reject) => {
      const entry: Entry = { image, context, settled: false, resolve, reject };
      entry.resolve = (results) => settle(() => resolve(results));
      entry.reject = (error) => settle(() => reject(error));
      const onAbort = () => entry.reject(context.signal.reason);
      const settle = (done: () => void) => {
        if (entry.settled) return;
        entry.settled = true;
        context.signal.removeEventListener('abort', onAbort);
        done();
      };
      if (context.signal.aborted) return onAbort();
      context.signal.addEventListener('abort', onAbort, { once: true });
      this.entries.set(image.job.id, entry);
      this.awaited.delete(image.job.id);
      this.startWhenComplete();
    });
  }

  /** From the run's event stream: a session job that ended (failed, skipped, up to date) before handing its image in never will. */
  onEvent(event: RunEvent): void {
    const ended = event.type === 'job-skipped' || event.type === 'job-failed' || event.type === 'job-succeeded' || event.type === 'job-up-to-date';
    if (event.type === 'job-up-to-date' && this.has(event.job.id)) this.upToDate.set(event.job.id, event.result as BuiltImage);
    if (ended && this.awaited.delete(event.job.id)) this.startWhenComplete();
  }

  private startWhenComplete(): void {
    if (this.started || this.awaited.size > 0 || this.entries.size === 0) return;
    this.started = true;
    void this.run();
  }

  private async run(): Promise<void> {
    const entries = this.order.flatMap((id) => this.entries.get(id) ?? []);
    const signal = entries[0]!.context.signal;
    let temp: string | undefined;
    try {
      // A base that was up to date is linked to the layout its last build left, as a native-built one.
      for (const entry of entries) {
        const upToDateBases = entry.image.job.bases.filter((b) => this.upToDate.has(b.jobId));
        if (upToDateBases.length === 0) continue;
        const contexts = namedContextsOf({ ...entry.image.job, bases: upToDateBases }, [...this.upToDate.values()]);
        entry.image = { ...entry.image, contexts: { ...entry.image.contexts, ...contexts } };
      }
      // An image on a base that was never handed in (its job failed) cannot be linked to it.
      const ready = entries.filter((e) => {
        const missing = e.image.job.bases.find(
          (b) => this.has(b.jobId) && !this.upToDate.has(b.jobId) && !entries.some((x) => x.image.job.id === b.jobId && !x.settled),
        );
        if (missing) e.reject(stepError(`image ${e.image.job.image} was not built: its base image ${missing.name} failed`));
        return !missing;
      });
      if (ready.length === 0 || signal.aborted) return;
      temp = await makeTempDir(this.options.outDir, 'buildx-session');
      const { file, targets } = bakeDefinition(
        ready.map((e) => e.image),
        { perPlatform: this.options.perPlatform, attest: this.options.attest },
      );
      const bakeFile = path.join(temp, 'bake.json');
      await writeFile(bakeFile, `${JSON.stringify(file, null, 2)}\n`);
      await this.bakeUntilSettled(ready, { bakeFile, targets, temp, signal });
    } catch (error) {
      for (const entry of entries) entry.reject(error);
    } finally {
      if (temp) await rm(temp, { recursive: true, force: true });
    }
  }

  /**
   * Bakes the entries' targets; on a failure, fails the images it names and, with keepGoing,
   * bakes again the rest that do not need them. Without keepGoing the others are left waiting:
   * the failed job's failure stops the run, and each ends as cancelled through its signal.
   */
  private async bakeUntilSettled(entries: Entry[], session: Session): Promise<void> {
    const outcome = await this.bake(entries, session);
    if (outcome.ok) return;
    const failed = entries.filter((e) => outcome.failures.has(e.image.job.id));
    if (failed.length === 0) {
      if (entries.length === 1) return entries[0]!.reject(explainBakeFailure(entries[0]!.image.job, session.targets, undefined, outcome.text));
      // buildx's message names no target (a Dockerfile it cannot parse): bake each image alone to find it.
      for (const entry of entries) {
        const alone = await this.bake([entry], session);
        if (alone.ok) continue;
        entry.reject(explainBakeFailure(entry.image.job, session.targets, alone.failures.get(entry.image.job.id), alone.text));
        if (!this.options.keepGoing) return;
      }
      return;
    }
    for (const entry of failed) entry.reject(explainBakeFailure(entry.image.job, session.targets, outcome.failures.get(entry.image.job.id), outcome.text));
    if (!this.options.keepGoing) return;
    const rest = entries.filter((e) => !e.settled && !needsAny(e, failed, entries));
    for (const entry of entries.filter((e) => !e.settled && !rest.includes(e))) {
      entry.reject(stepError(`image ${entry.image.job.image} was not built: an image it is built on failed`));
    }
    if (rest.length > 0) await this.bakeUntilSettled(rest, session);
  }

  /** One `docker buildx bake` of the entries' targets; each built entry gets its results. */
  private async bake(entries: Entry[], session: Session): Promise<BakeOutcome> {
    const names = session.targets.filter((t) => entries.some((e) => e.image.job.id === t.jobId));
    const byTarget = new Map(names.map((t) => [t.name, entries.find((e) => e.image.job.id === t.jobId)!]));
    const progress = new BakeProgress(
      new Set(session.targets.map((t) => t.name)),
      (step) => byTarget.get(step.target)?.context.progress(step.step),
      // A RUN's output goes to its image's job (shown live with --verbose, like go's).
      (step, stream, text) => byTarget.get(step.target)?.context.output?.(stream, text),
      (step) => {
        const target = names.find((t) => t.name === step.target);
        if (target?.layoutDir && EXPORT_STEP.test(step.step)) byTarget.get(step.target)?.image.onExported?.(target.layoutDir);
      },
    );
    const metadataFile = path.join(session.temp, 'metadata.json');
    await rm(metadataFile, { force: true });
    const args = bakeArgs(
      session.bakeFile,
      metadataFile,
      names.map((t) => t.name),
      this.options,
    );
    for (const entry of entries) entry.context.progress(`docker buildx bake: ${names.length} targets in one session`);
    let result;
    try {
      result = await runProcess('docker', args, {
        env: { SOURCE_DATE_EPOCH: this.options.sourceDateEpoch },
        signal: session.signal,
        onOutput: (text) => progress.feed(text),
      });
    } catch (error) {
      if (error instanceof CommandNotFoundError) throw dockerMissing();
      throw error;
    }
    const failures = new Map<string, BakeStepFailure>();
    for (const [target, failure] of progress.failures()) {
      const owner = session.targets.find((t) => t.name === target);
      if (owner && !failures.has(owner.jobId)) failures.set(owner.jobId, failure);
    }
    if (result.exitCode !== 0) return { ok: false, failures, text: progress.text() };
    const metadata = JSON.parse(await readFile(metadataFile, 'utf8').catch(() => '{}')) as Record<string, Record<string, unknown>>;
    for (const entry of entries) {
      const targets = names.filter((t) => t.jobId === entry.image.job.id);
      entry.resolve(targets.map((t) => resultOf(t, metadata[t.name], entry.image)));
    }
    return { ok: true };
  }
}

/** BuildKit's exporter step ("exporting to oci image format"): when it completes, the target's blobs are written. */
const EXPORT_STEP = /^exporting to /;

interface Session {
  bakeFile: string;
  targets: BakeTarget[];
  temp: string;
  signal: AbortSignal;
}

type BakeOutcome = { ok: true } | { ok: false; failures: Map<string, BakeStepFailure>; text: string };

function resultOf(target: BakeTarget, metadata: Record<string, unknown> | undefined, image: BakeImage): BakeTargetResult {
  if (!metadata) throw stepError(`buildx bake finished ${image.job.image} but its --metadata-file has no entry for target ${target.name}`);
  const descriptor = descriptorFromMetadata(metadata, image.job.image);
  return { platforms: target.platforms, descriptor, ...(target.layoutDir ? { layoutDir: target.layoutDir } : {}) };
}

/** Whether an entry is built on any of `failed`, directly or through other entries. */
function needsAny(entry: Entry, failed: Entry[], entries: Entry[]): boolean {
  const ids = new Set(failed.map((f) => f.image.job.id));
  const visit = (job: ImageBuildJob): boolean =>
    job.bases.some((b) => {
      if (ids.has(b.jobId)) return true;
      const base = entries.find((e) => e.image.job.id === b.jobId);
      return base !== undefined && visit(base.image.job);
    });
  return visit(entry.image.job);
}
