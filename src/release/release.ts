/**
 * Cutting a release: build every image for every platform and push it by digest, build istioctl
 * for laptops, refuse a version tag that already names other content (unless forced), verify
 * every image by digest, sign it when a key is given (`.sig`/`.att` by digest, their tags first),
 * and only then write all the tags together. Then the release files go
 * into `out/release/<version>/` in one rename. A failure or Ctrl-C anywhere before the tags
 * leaves no tag of this release; running it again sends only what the registry lacks.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InterruptedError, isMeshbuildError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import type { BuiltImage } from '../image/built-image.js';
import { formatPlatform } from '../platform.js';
import { createPlan, type PlanRequest } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import { LayoutStore } from '../publish/layout-store.js';
import type { RegistryClient } from '../registry/client.js';
import { parseReference } from '../registry/reference.js';
import { parseReport, REPORT_SCHEMA_VERSION, type RunReport } from '../report/json-report.js';
import { makeTempDir, moveIntoPlace } from '../run/atomic-files.js';
import type { RunSummary } from '../run/scheduler.js';
import { RegistryStore } from '../publish/registry-store.js';
import { runTagPhase, tagReference, type TagResult, type TagWrite } from '../publish/tag-phase.js';
import { journalPath } from '../publish/tags-journal.js';
import { repositoryName } from './merge.js';
import { checksumsFor, formatReleaseNotes, ISTIOCTL_ARCHIVES, releaseDir, writeIstioctlArchives, type ReleasedImage } from './release-files.js';
import { buildFailures, checkVersionTags, verifyTargets, type ReleaseTarget } from './release-checks.js';
import { signRelease } from '../sign/release-signing.js';
import type { SigningKey } from '../sign/signing-key.js';
import { deriveReleaseTags, type ReleaseVersion, type TagChoices } from './versions.js';

/** What went wrong, per image x platform x hub where that is known. */
export interface ReleaseFailure {
  step: 'build' | 'conflict' | 'verify' | 'sign' | 'files' | 'tag';
  image?: string;
  platforms?: string[];
  hubs?: string[];
  /** The reference or job concerned. */
  subject?: string;
  file?: string;
  problem: string;
  /** Did not run because something else failed first (or Ctrl-C): a consequence, not a cause. */
  skipped?: boolean;
}

/** The run report of both builds, plus what the release did with its tags. Readable by parseReport. */
export interface ReleaseReport extends RunReport {
  release: {
    version: string;
    ok: boolean;
    interrupted: boolean;
    force: boolean;
    /** Every tag of the release: written now, already right (unchanged), or not written. */
    tags: Array<{ reference: string; digest: string; status: 'written' | 'unchanged' | 'not-written' }>;
    /** Tags left where they were, and why. */
    notes: string[];
    failures: ReleaseFailure[];
    /** The folder of the release files, once written. */
    files?: string;
    /** With --sign-key: manifests signed and attested, and the `.sig`/`.att` tags written for them. */
    signed?: { manifests: number; tags: number };
  };
}

export interface ReleaseRequest {
  version: ReleaseVersion;
  graph: Graph;
  /** Images of the `all` group pushed by digest (registry output without tags), the version as tag. */
  request: PlanRequest;
  force: boolean;
  tagChoices: TagChoices;
  /** Also start each platform's image in verify. Default false. */
  verifyRun: boolean;
  insecureRegistries: string[];
  clientFor(registry: string): RegistryClient;
  /** Runs a plan (the CLI's composition root), writing its JSON report to `reportFile`. */
  runPlan(plan: Plan, reportFile: string): Promise<RunSummary>;
  /** Ctrl-C. Before the tags: nothing is tagged. During them: the tag phase puts back what it wrote. */
  signal: AbortSignal;
  /** The command that finishes the tags if the tag phase cannot, for its messages. */
  rerun: string;
  /** Sign and attest every image (after it is verified, before any tag) with this key. Default: unsigned. */
  signingKey?: SigningKey;
  print(line: string): void;
}

export interface ReleaseOutcome {
  ok: boolean;
  interrupted: boolean;
  /** True when every tag already named this content: the release was already published. */
  unchanged: boolean;
  report: ReleaseReport;
}

const ISTIOCTL_JOB_PREFIX = 'istioctl-archives/';

export async function cutRelease(release: ReleaseRequest): Promise<ReleaseOutcome> {
  const { version, graph, request } = release;
  const imagesPlan = createPlan(graph, { ...request, targets: ['all'] });
  const binariesPlan = createPlan(graph, {
    ...request,
    targets: ['binary:istioctl'],
    platforms: ISTIOCTL_ARCHIVES.map((a) => a.platform),
    binariesOnly: true,
    output: null,
  });
  const failures: ReleaseFailure[] = [];
  const notes = new Map<string, string[]>();
  let tagOutcomes: TagResult[] = [];
  let plannedTags: TagWrite[] = [];
  let signatureTags: TagWrite[] = [];
  let signed: { manifests: number; tags: number } | undefined;
  let interrupted = false;
  let filesDir: string | undefined;
  // Under out/.tmp, never /tmp: a killed release leaves nothing outside out/, and the next run clears it.
  const reportDir = await makeTempDir(request.outDir, 'release-reports');
  let runReport: RunReport | undefined;
  let targets: ReleaseTarget[] = [];
  try {
    // 1. Build and push by digest; then istioctl for every archive platform.
    if ((interrupted = release.signal.aborted)) return finish();
    const images = await runStep(release, imagesPlan, path.join(reportDir, 'images.json'), '');
    runReport = images.report;
    failures.push(...buildFailures(imagesPlan, images.report));
    interrupted = images.summary.interrupted || release.signal.aborted;
    if (failures.length === 0 && !interrupted) {
      const binaries = await runStep(release, binariesPlan, path.join(reportDir, 'istioctl.json'), ISTIOCTL_JOB_PREFIX);
      runReport.jobs.push(...binaries.report.jobs);
      failures.push(...buildFailures(binariesPlan, binaries.report, ISTIOCTL_JOB_PREFIX));
      interrupted = binaries.summary.interrupted || release.signal.aborted;
      targets = releaseTargets(imagesPlan, images.summary, graph);
    }
    if (failures.length > 0 || interrupted) return finish();

    // 2. An existing version tag must name the same content, unless forced.
    await collect(failures, 'conflict', () => checkVersionTags(release, targets, failures));
    if (failures.length > 0 || (interrupted = release.signal.aborted)) return finish();

    // 3. Verify every image by digest.
    release.print(`verifying ${targets.length} image references`);
    await collect(failures, 'verify', () => verifyTargets(release, imagesPlan, targets, failures));
    if (failures.length > 0 || (interrupted = release.signal.aborted)) return finish();

    // 3b. Sign and attest every manifest, stored by digest; their tags go first in the tag phase.
    const signingKey = release.signingKey;
    if (signingKey) {
      release.print(`signing and attesting ${targets.length} image references`);
      await collect(failures, 'sign', async () => {
        const result = await signRelease(targets, {
          key: signingKey,
          version: version.version,
          sourceDir: graph.sourceDir,
          remote: request.origin?.remote,
          revision: request.git?.revision ?? 'unknown',
          clientFor: release.clientFor,
          signal: release.signal,
          print: release.print,
        });
        signatureTags = result.tags;
        signed = { manifests: result.manifests, tags: 0 };
      });
      if (failures.length > 0 || (interrupted = release.signal.aborted)) return finish();
    }

    // 4. Stage the release files (tags are not written if this fails), then derive the tags.
    const staging = await makeTempDir(request.outDir, `release-${version.version}`);
    try {
      let archives: string[] = [];
      await collect(failures, 'files', async () => {
        archives = await writeIstioctlArchives(staging, version.version, request.outDir);
      });
      await collect(failures, 'tag', async () => {
        plannedTags = await tagRequests(release, targets, notes);
      });
      if (failures.length > 0 || (interrupted = release.signal.aborted)) return finish();

      // 5. Every tag, now that everything else succeeded: all of them, or (undone) none.
      try {
        const phase = { signal: release.signal, journalFile: journalPath(request.outDir), rerun: release.rerun, progress: release.print };
        // Signatures before the tags that name what they sign: a tag never names an unsigned release.
        if (signatureTags.length > 0 && signed) signed.tags = (await runTagPhase(signatureTags, phase)).filter((t) => t.status === 'written').length;
        tagOutcomes = await runTagPhase(plannedTags, phase);
      } catch (error) {
        if (!isMeshbuildError(error)) throw error;
        interrupted = error instanceof InterruptedError;
        failures.push({ step: 'tag', problem: [error.message, error.detail].filter(Boolean).join('\n'), ...(interrupted ? { skipped: true } : {}) });
        return finish();
      }

      // 6. The release files, into place in one rename (the tags are out: a failure here is fixed by running again).
      try {
        filesDir = releaseDir(request.outDir, version.version);
        const checksums = await checksumsFor(staging, archives);
        const sums = new Map(
          checksums
            .trim()
            .split('\n')
            .map((line) => [line.slice(66), line.slice(0, 64)] as const),
        );
        await writeFile(path.join(staging, 'SHA256SUMS'), checksums);
        await writeFile(path.join(staging, 'report.json'), `${JSON.stringify(finish().report, null, 2)}\n`);
        const images = releasedImages(targets);
        const archiveSums = archives.map((name) => ({ name, sha256: sums.get(name) ?? '' }));
        await writeFile(
          path.join(staging, 'RELEASE_NOTES.md'),
          formatReleaseNotes({ version: version.version, hubs: request.hubs, images, archives: archiveSums, notes: noteLines(notes) }),
        );
        await moveIntoPlace(staging, filesDir);
      } catch (error) {
        failures.push({ step: 'files', subject: filesDir, problem: `writing the release files failed: ${(error as Error).message}` });
        filesDir = undefined;
      }
      return finish();
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  } finally {
    await rm(reportDir, { recursive: true, force: true });
  }

  function finish(): ReleaseOutcome {
    const ok = failures.length === 0 && !interrupted;
    const written = new Map<string, TagResult['status']>(tagOutcomes.map((o) => [tagReference(o), o.status]));
    const tags = plannedTags.map((t) => ({
      reference: tagReference(t),
      digest: t.index.digest,
      status: written.get(tagReference(t)) ?? ('not-written' as const),
    }));
    const base = runReport ?? emptyReport(imagesPlan);
    const report: ReleaseReport = {
      ...base,
      ok,
      images: base.images.map((image) => {
        const target = targets.find((t) => t.repository === image.repository && t.variant === image.variant);
        const refs = (target?.tags ?? []).map((tag) => `${image.repository}:${tag}`).filter((ref) => written.has(ref));
        return { ...image, refs };
      }),
      release: {
        version: version.version,
        ok,
        interrupted,
        force: release.force,
        tags,
        notes: noteLines(notes),
        failures,
        ...(filesDir ? { files: filesDir } : {}),
        ...(signed ? { signed } : {}),
      },
    };
    return { ok, interrupted, unchanged: ok && tagOutcomes.every((o) => o.status === 'unchanged'), report };
  }
}

/** Runs one plan through the CLI's runner and reads back its report (job ids prefixed to keep two plans apart). */
async function runStep(release: ReleaseRequest, plan: Plan, reportFile: string, prefix: string): Promise<{ summary: RunSummary; report: RunReport }> {
  const summary = await release.runPlan(plan, reportFile);
  const report = parseReport(await readFile(reportFile, 'utf8'), reportFile);
  for (const job of report.jobs) job.id = `${prefix}${job.id}`;
  return { summary, report };
}

/** A step's failure becomes a finding; an interruption stays an interruption (checked by the caller). */
async function collect(failures: ReleaseFailure[], step: ReleaseFailure['step'], run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof InterruptedError) return;
    if (!isMeshbuildError(error)) throw error;
    failures.push({ step, problem: [error.message, error.detail].filter(Boolean).join('\n') });
  }
}

function releaseTargets(plan: Plan, summary: RunSummary, graph: Graph): ReleaseTarget[] {
  const targets: ReleaseTarget[] = [];
  for (const job of plan.jobs) {
    if (job.kind !== 'image-build') continue;
    const built = summary.results.get(job.id) as BuiltImage | undefined;
    if (!built) throw new Error(`Internal error: no result for ${job.id}`);
    for (const variant of job.variants) {
      for (const hub of plan.hubs) {
        const suffix = graph.variants.get(variant.variant)?.tagSuffix ?? '';
        targets.push({ job, built, variant: variant.variant, suffix, hub, repository: repositoryName(hub, job.image), tags: [] });
      }
    }
  }
  return targets;
}

/** Every tag to write: per repository, the tags its current tag list allows, with each variant's suffix. */
async function tagRequests(release: ReleaseRequest, targets: ReleaseTarget[], notes: Map<string, string[]>): Promise<TagWrite[]> {
  const requests: TagWrite[] = [];
  const stores = new Map<string, RegistryStore>();
  const derived = new Map<string, Promise<string[]>>();
  for (const target of targets) {
    let tags = derived.get(target.repository);
    if (!tags) {
      const reference = parseReference(target.repository);
      tags = release
        .clientFor(reference.registry)
        .listTags(reference.repository)
        .then((existing) => {
          const result = deriveReleaseTags(release.version, existing, release.tagChoices);
          for (const note of result.notes) notes.set(note, [...(notes.get(note) ?? []), target.repository]);
          return result.tags;
        });
      derived.set(target.repository, tags);
    }
    const layout = await LayoutStore.at(target.built.layoutDir, false);
    const bytes = await layout.readManifest(target.built.index);
    target.tags = (await tags).map((tag) => `${tag}${target.suffix}`);
    let store = stores.get(target.repository);
    if (!store) {
      const reference = parseReference(target.repository);
      stores.set(target.repository, (store = new RegistryStore(release.clientFor(reference.registry), reference.repository)));
    }
    for (const tag of target.tags) requests.push({ store, tag, index: target.built.index, bytes });
  }
  return requests;
}

function noteLines(notes: Map<string, string[]>): string[] {
  return [...notes].map(([note, repositories]) => `${note} (${repositories.length === 1 ? repositories[0] : `${repositories.length} repositories`})`);
}

function releasedImages(targets: ReleaseTarget[]): ReleasedImage[] {
  return targets.map((target) => ({
    image: target.job.image,
    variant: target.variant,
    hub: target.hub,
    repository: target.repository,
    digest: target.built.index.digest,
    platforms: target.built.platforms.map((p) => p.platform),
    tags: target.tags,
  }));
}

function emptyReport(plan: Plan): RunReport {
  const now = new Date().toISOString();
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: 'meshbuild',
    version: plan.version,
    platforms: plan.platforms.map(formatPlatform),
    hubs: plan.hubs,
    tags: plan.tags,
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
    ok: false,
    jobs: [],
    images: [],
  };
}
