/**
 * Fetches one prebuilt artifact for one platform: downloads it (or copies a local override)
 * into a temp file while hashing it, checks the sha256, optionally pulls one member out of a
 * .tar.gz, and only then moves it into `out/<os>_<arch>/`. A mismatch leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { insideRoots, realPathProblem, type PathRoots } from '../config/path-policy.js';
import { stepError, usageError } from '../errors.js';
import { formatPlatform } from '../platform.js';
import type { FetchJob } from '../plan/types.js';
import { makeTempDir, moveIntoPlace } from '../run/atomic-files.js';
import type { JobContext } from '../run/scheduler.js';
import { baseName, sha256FromChecksumFile } from './checksum-file.js';
import { extractTarMember } from './extract.js';

export interface FetchResult {
  artifact: string;
  platform: string;
  output: string;
  sha256: string;
}

/**
 * `localRoots`: where a targets file's local `path:` may lead (a path the user gave, `localPathFrom`, is not confined) once its placeholders are filled and its symlinks
 * followed (a `{env:NAME}` value or a symlink can still point at any file of the build machine).
 */
export async function fetchArtifact(job: FetchJob, context: JobContext, outDir: string, localRoots?: PathRoots): Promise<FetchResult> {
  checkLocalArtifact(job, localRoots);
  const what = `${job.artifact} (${formatPlatform(job.platform)})`;
  if (!insideRoots(path.resolve(job.output), { dirs: [path.resolve(outDir)], name: '--out' })) {
    throw usageError(`artifact ${what} would be written to ${job.output}, outside --out (${outDir})`, {
      hint: 'its fileName must be one file name, without "/" or ".."',
    });
  }
  const temp = await makeTempDir(outDir, 'fetch');
  try {
    const download = path.join(temp, 'download');
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const source = job.localPath !== undefined ? createReadStream(job.localPath) : await openUrl(job.url!, what, context.signal);
    await pipeline(source, hashing, createWriteStream(download), { signal: context.signal }).catch((error: unknown) => {
      if (context.signal.aborted) throw context.signal.reason;
      throw stepError(`could not read ${what} from ${job.localPath ?? job.url}: ${(error as Error).message}`);
    });
    const actual = hash.digest('hex');
    const expected = job.sha256 ?? (job.sha256Url !== undefined ? await readChecksum(job.sha256Url, what, context.signal, job.url) : undefined);
    if (expected !== undefined && actual !== expected) {
      throw stepError(`sha256 mismatch for ${what}: expected ${expected}, got ${actual}`, {
        hint: `the file at ${job.url ?? job.localPath} is not the one the targets pin; nothing was kept. Check the URL or update the sha256`,
      });
    }
    let result = download;
    if (job.extract !== undefined) {
      result = path.join(temp, 'extracted');
      await extractTarMember(createReadStream(download), job.extract, result).catch((error: unknown) => {
        throw stepError(`could not extract ${job.extract} from ${what}: ${(error as Error).message}`);
      });
    }
    await chmod(result, 0o755);
    await moveIntoPlace(result, job.output);
    return { artifact: job.artifact, platform: formatPlatform(job.platform), output: job.output, sha256: actual };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** A targets file's local `path:` must stay inside `localRoots` (checked before the file is read at all). */
export function checkLocalArtifact(job: FetchJob, localRoots: PathRoots | undefined): void {
  if (job.localPath !== undefined && job.localPathFrom === undefined && localRoots !== undefined)
    checkLocalPath(job.localPath, localRoots, `${job.artifact} (${formatPlatform(job.platform)})`);
}

function checkLocalPath(localPath: string, roots: PathRoots, what: string): void {
  const problem = insideRoots(path.resolve(localPath), roots) ? realPathProblem(localPath, roots) : `leads outside ${roots.name}`;
  if (problem !== undefined) {
    throw usageError(`artifact ${what}: local path ${localPath} ${problem}`, {
      hint: 'the "path" of an artifact (placeholders and {env:NAME} filled in) must name a file next to its targets file',
    });
  }
}

async function openUrl(url: string, what: string, signal: AbortSignal): Promise<Readable> {
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw stepError(
      `could not download ${what} from ${url}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
    );
  }
  if (!response.ok || !response.body) {
    throw stepError(`could not download ${what} from ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

/** Reads a published checksum file (`<hex>  <name>` lines or a bare digest); see checksum-file.ts. */
async function readChecksum(url: string, what: string, signal: AbortSignal, downloadUrl: string | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await openUrl(url, `the checksum of ${what}`, signal)) chunks.push(chunk as Buffer);
  const sha256 = sha256FromChecksumFile(Buffer.concat(chunks).toString('utf8'), baseName(new URL(downloadUrl ?? url).pathname));
  if (sha256 === undefined) throw stepError(`${url} holds no sha256 for ${what}`);
  return sha256;
}
