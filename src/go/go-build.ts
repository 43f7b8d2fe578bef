/**
 * Cross-compiles one batch of binaries for one platform with a single `go build -o DIR pkg...`
 * (CGO off unless asked, -trimpath, version stamped through -ldflags), then moves each binary
 * into `out/<os>_<arch>/`. Compiler output is shown under the binaries' names when it fails.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { stepError, usageError } from '../errors.js';
import { formatPlatform, goEnvironment } from '../platform.js';
import type { GoBuildJob } from '../plan/types.js';
import { makeTempDir, moveIntoPlace } from '../run/atomic-files.js';
import { CommandNotFoundError, queryProcess, runProcess } from '../run/process.js';
import type { JobContext } from '../run/scheduler.js';

export interface GoBuildResult {
  platform: string;
  binaries: Array<{ name: string; output: string }>;
}

/** What a go build job hands on: its platform and the binaries it made. */
export function goBuildResult(job: GoBuildJob, platform: string): GoBuildResult {
  return { platform, binaries: job.binaries.map((b) => ({ name: b.name, output: b.output })) };
}

/** The `go build` arguments for a job, output into `outputDir`. Exported for plan printing and tests. */
export function goBuildArgs(job: GoBuildJob, outputDir: string): string[] {
  const args = ['build', '-trimpath', '-o', outputDir + path.sep];
  if (job.tags.length > 0) args.push('-tags', job.tags.join(','));
  if (job.ldflags !== '') args.push('-ldflags', job.ldflags);
  args.push(...job.binaries.map((b) => b.package));
  return args;
}

export function goBuildEnv(job: GoBuildJob): Record<string, string> {
  return { CGO_ENABLED: job.cgo ? '1' : '0', ...goEnvironment(job.platform) };
}

/** Runs go for the job (whether it is up to date is decided around it: go-freshness.ts). */
export async function runGoBuild(job: GoBuildJob, context: JobContext, outDir: string): Promise<GoBuildResult> {
  const result = goBuildResult(job, formatPlatform(job.platform));
  const temp = await makeTempDir(outDir, 'go');
  try {
    let go;
    try {
      go = await runProcess('go', withPackageList(goBuildArgs(job, temp)), {
        cwd: job.sourceDir,
        env: goBuildEnv(job),
        signal: context.signal,
        onOutput: countPackages(context),
      });
    } catch (error) {
      if (error instanceof CommandNotFoundError) throw goMissing();
      throw error;
    }
    if (go.exitCode !== 0) {
      throw stepError(`go build failed for ${job.binaries.map((b) => b.name).join(', ')} (${formatPlatform(job.platform)})`, {
        detail: withoutPackageLines(go.output).trim(),
      });
    }
    for (const binary of job.binaries) {
      const built = path.join(temp, path.posix.basename(binary.package) + (job.platform.os === 'windows' ? '.exe' : ''));
      await moveIntoPlace(built, binary.output);
    }
    return result;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** `go build -v`: go names each package as it compiles it, which is the job's progress. */
function withPackageList(args: string[]): string[] {
  return [args[0]!, '-v', ...args.slice(1)];
}

/** A line of `go build -v` naming a package (an import path: no spaces, no `file:line:`). */
const PACKAGE_LINE = /^[A-Za-z0-9_.~\-/]+$/;

export function countPackages(context: Pick<JobContext, 'progress' | 'output'>): (text: string) => void {
  let done = 0;
  let partial = '';
  return (text) => {
    context.output?.('stderr', text);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    const compiled = lines.filter((line) => PACKAGE_LINE.test(line)).length;
    if (compiled === 0) return;
    done += compiled;
    context.progress(`${done} packages compiled`, { unit: 'packages', done });
  };
}

/** Compiler output without the package names -v adds, for error messages. */
export function withoutPackageLines(output: string): string {
  return output
    .split('\n')
    .filter((line) => !PACKAGE_LINE.test(line))
    .join('\n');
}

function goMissing() {
  return usageError('the Go toolchain was not found (no "go" on PATH)', {
    hint: 'install Go (https://go.dev/dl, or on Debian: apt-get install golang-go) and make sure "go version" works',
  });
}

/** Checks that `go` runs before any job starts, so a missing toolchain is one clear message. */
export async function checkGoToolchain(): Promise<string> {
  try {
    // A query (no execa): a run with nothing to build spawns nothing heavier.
    const result = await queryProcess('go', ['version']);
    if (result.exitCode !== 0) throw goMissing();
    return result.stdout.trim();
  } catch (error) {
    if (error instanceof CommandNotFoundError) throw goMissing();
    throw error;
  }
}
