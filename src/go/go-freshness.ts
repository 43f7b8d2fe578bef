/**
 * What decides whether a go build has anything to do: the Go version, the build's arguments (tags,
 * expanded ldflags with their version and git stamps), its environment, and the content of the
 * source tree. Go caches compiled packages but relinks every binary on every run, which is most of
 * a warm build; a build whose fingerprint and binaries are those of its last run is skipped.
 */
import type { GoBuildJob } from '../plan/types.js';
import { fingerprintOf } from '../run/fingerprint.js';
import type { Freshness } from '../run/skip-unchanged.js';
import { goBuildArgs, goBuildEnv } from './go-build.js';

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
    args: goBuildArgs(job, '<out>'),
    env,
    sourceDir: job.sourceDir,
    outputs: job.binaries.map((b) => b.output),
    sourceTree,
  });
}

export function goBuildFreshness(inputs: GoInputs): Freshness<GoBuildJob> {
  return {
    fingerprint: async (job) => goBuildFingerprint(job, inputs, await inputs.sourceTree()),
    outputs: (job) => Promise.resolve(job.binaries.map((b) => ({ path: b.output }))),
  };
}
