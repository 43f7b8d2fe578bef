/**
 * Reads the source tree's git state once per run, for the `{git.*}` ldflags placeholders, the way
 * Istio's common/scripts/report_build_info.sh does (revision, -dirty, Clean/Modified, describe).
 */
import { CommandNotFoundError, queryProcess } from '../run/process.js';
import { NO_GIT, type GitStamp } from './ldflags.js';

/**
 * The git state of `sourceDir`. Changes are looked for under `sourceDir` only (`-- .`), so a source
 * folder inside a larger checkout (the bundled sample) is not dirtied by files beside it. Without
 * git, or outside a checkout: `unknown` / `Modified` / `unknown`, as Istio's script stamps.
 */
export async function readGitStamp(sourceDir: string): Promise<GitStamp> {
  const git = (...args: string[]) => gitQuery(sourceDir, args);
  try {
    // Two queries at once: the status names HEAD (`# branch.oid`) and lists the changes.
    const [status, describe] = await Promise.all([git('status', '--porcelain=v2', '--branch', '--', '.'), git('describe', '--tags', '--always')]);
    const head = /^# branch\.oid ([0-9a-f]+)$/m.exec(status ?? '')?.[1];
    if (head === undefined) return NO_GIT;
    const changes = (status ?? '').split('\n').filter((line) => line !== '' && !line.startsWith('# '));
    // Istio: any change (untracked too) marks the revision -dirty; only tracked ones make it Modified.
    return {
      revision: changes.length > 0 ? `${head}-dirty` : head,
      status: changes.some((line) => !line.startsWith('? ')) ? 'Modified' : 'Clean',
      tag: describe ?? NO_GIT.tag,
    };
  } catch (error) {
    if (error instanceof CommandNotFoundError) return NO_GIT;
    throw error;
  }
}

/** Where the source comes from, for image metadata (`org.opencontainers.image.source`, `revision`, `created`). */
export interface SourceOrigin {
  /** The remote as configured (`origin`, else the first one); undefined with none. */
  remote?: string;
  /** The full commit HEAD names. */
  commit?: string;
  /** HEAD's committer time, seconds since 1970. */
  commitTime?: number;
}

/** The remote, commit and commit time of `sourceDir`'s checkout; empty outside a checkout or without git. */
export async function readSourceOrigin(sourceDir: string): Promise<SourceOrigin> {
  const git = (...args: string[]) => gitQuery(sourceDir, args);
  try {
    const [head, remoteList] = await Promise.all([git('log', '-1', '--format=%H %ct', 'HEAD'), git('remote')]);
    const [commit, time] = head?.split(' ') ?? [];
    const remotes = (remoteList ?? '').split('\n').filter((name) => name !== '');
    const remoteName = remotes.includes('origin') ? 'origin' : remotes[0];
    const remote = remoteName !== undefined ? await git('remote', 'get-url', remoteName) : undefined;
    return {
      ...(remote ? { remote } : {}),
      ...(commit && /^[0-9a-f]{40,64}$/.test(commit) ? { commit } : {}),
      ...(time && /^\d+$/.test(time) ? { commitTime: Number(time) } : {}),
    };
  } catch (error) {
    if (error instanceof CommandNotFoundError) return {};
    throw error;
  }
}

/** One git query in `sourceDir`: its trimmed output, or undefined when git says no. */
async function gitQuery(sourceDir: string, args: string[]): Promise<string | undefined> {
  const result = await queryProcess('git', ['-C', sourceDir, ...args]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}
