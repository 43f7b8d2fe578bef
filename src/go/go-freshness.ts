/**
 * What decides whether a go build has anything to do: the Go version, the build's flags (tags,
 * expanded ldflags with their version and git stamps), its environment, and the content of the
 * source tree. Go caches compiled packages but relinks every binary on every run, which is most of
 * a warm build; a build whose fingerprint and binaries are those of its last run is skipped.
 * Which packages share one `go build` does not change any binary, so it is not in the fingerprint:
 * `meshbuild build pilot` after `meshbuild all` finds pilot-discovery built by the larger batch,
 * as long as the last run of that batch built every binary asked for now.
 */
import type { GoBuildJob } from '../plan/types.js';
import { formatPlatform, platformDirName } from '../platform.js';
import { fingerprintOf } from '../run/fingerprint.js';
import type { Freshness } from '../run/skip-unchanged.js';
import { goBuildArgs, goBuildEnv, goBuildResult, type GoBuildResult } from './go-build.js';

export interface GoInputs {
  /** `go version` output. */
  goVersion: string;
  /** The caller's environment; its GO*, CGO_*, CC and CXX variables change what go builds. */
  env: NodeJS.ProcessEnv;
  /** The source tree's state (`sourceTreeState`), taken once per run and shared by every go job. */
  sourceTree: () => Promise<string>;
}

/** The fingerprint of one go build. Pure once the source tree's state is known. */
export function goBuildFingerprint(job: GoBuildJob, inputs: Omit<GoInputs, 'sourceTree'>, sourceTree: string): string {
  const env = { ...Object.fromEntries(Object.entries(inputs.env).filter(([key]) => /^(GO|CGO_|CC$|CXX$)/.test(key))), ...goBuildEnv(job) };
  return fingerprintOf({
    kind: job.kind,
    goVersion: inputs.goVersion,
    args: goBuildArgs({ ...job, binaries: [] }, '<out>'),
    env,
    sourceDir: job.sourceDir,
    sourceTree,
  });
}

export function goBuildFreshness(inputs: GoInputs): Freshness<GoBuildJob> {
  return {
    fingerprint: async (job) => goBuildFingerprint(job, inputs, await inputs.sourceTree()),
    outputs: (job) => Promise.resolve(job.binaries.map((b) => ({ path: b.output }))),
    drift: (job, recorded) => Promise.resolve(notBuiltLastTime(job, recorded as GoBuildResult)),
    // This run's binaries only: the last run may have built more in the same batch.
    reuse: (job) => Promise.resolve(goBuildResult(job, formatPlatform(job.platform))),
    recordKey: goRecordKey,
  };
}

/**
 * By platform and flags, not by the job's place among the batches (`go:linux_amd64#2`), which
 * depends on what else a run builds; batches that share both keep a record each.
 */
export function goRecordKey(job: GoBuildJob): string {
  const flags = fingerprintOf([job.tags, job.cgo, job.ldflags]).slice('sha256:'.length, 'sha256:'.length + 16);
  return `go-${platformDirName(job.platform)}-${flags}${job.sameFlagsBatch ? `-${job.sameFlagsBatch}` : ''}`;
}

/** Why the last run's binaries do not cover this job's, or undefined when they do. Pure. */
export function notBuiltLastTime(job: GoBuildJob, recorded: GoBuildResult): string | undefined {
  const built = new Set(recorded.binaries.map((b) => b.output));
  const missing = job.binaries.filter((b) => !built.has(b.output));
  return missing.length > 0 ? `the last run did not build ${missing.map((b) => b.name).join(', ')}` : undefined;
}
