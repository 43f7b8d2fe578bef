/**
 * What decides whether an artifact must be fetched again: the job as planned (URL, pinned sha256
 * or where to read it, member to extract, output) and, for a local file, its content. A download
 * is identified by its URL, as the targets pin it; the checksum is checked whenever it is fetched.
 */
import type { PathRoots } from '../config/path-policy.js';
import type { FetchJob } from '../plan/types.js';
import type { FileDigests } from '../run/file-digests.js';
import { fingerprintOf } from '../run/fingerprint.js';
import type { Freshness } from '../run/skip-unchanged.js';
import { checkLocalArtifact, type FetchResult } from './fetch-artifact.js';

export function fetchFreshness(digests: Pick<FileDigests, 'digestOf'>, localRoots: PathRoots | undefined): Freshness<FetchJob> {
  return {
    fingerprint: async (job) => {
      checkLocalArtifact(job, localRoots);
      const { id: _id, needs: _needs, title: _title, ...planned } = job;
      const local = job.localPath !== undefined ? await digests.digestOf(job.localPath) : undefined;
      // A local file that cannot be read: let the fetch say why.
      if (job.localPath !== undefined && local === undefined) return undefined;
      return fingerprintOf({ planned, local });
    },
    // The fetch hashed the download as it came; an extracted member is other bytes, hashed when recorded.
    outputs: (job, result) =>
      Promise.resolve([{ path: job.output, ...(job.extract === undefined ? { digest: `sha256:${(result as FetchResult).sha256}` } : {}) }]),
  };
}
