/** Reading and probing blobs, and mounting them across repositories of one registry. */
import { Transform, type Readable } from 'node:stream';
import type { Descriptor } from '../oci/types.js';
import { DigestVerifier, digestAlgorithm, type OpenBlobStream } from './blob-source.js';
import { uploadBlob, type BlobUploadOptions } from './blob-upload.js';
import type { RegistryHttp } from './registry-http.js';
import { header } from './registry-error.js';
import { discardBody } from './transport.js';
import { describeBlob, startMount } from './upload-session.js';

/** Whether `repo` holds the blob (HEAD). */
export async function hasBlob(http: RegistryHttp, repo: string, digest: string): Promise<boolean> {
  const response = await http.request({
    method: 'HEAD',
    target: `/v2/${repo}/blobs/${digest}`,
    scopes: [{ repository: repo, actions: ['pull'] }],
    context: { repository: repo, what: `check blob ${digest.slice(0, 19)} in ${repo}` },
    expect: [200, 404],
  });
  discardBody(response);
  return response.status === 200;
}

/**
 * The blob's bytes as a stream, redirects followed, checked against `digest` as they flow: a
 * mismatch makes the stream fail at its end. The caller must read it to the end or destroy it.
 * With `start`, the bytes from there on, unchecked (asked with `Range`; skipped here when the
 * registry sends them all); with `verify: false`, unchecked (the reader checks them).
 */
export async function getBlob(http: RegistryHttp, repo: string, digest: string, options: { start?: number; verify?: boolean } = {}): Promise<Readable> {
  digestAlgorithm(digest);
  const start = options.start ?? 0;
  const response = await http.request({
    method: 'GET',
    target: `/v2/${repo}/blobs/${digest}`,
    ...(start > 0 ? { headers: { range: `bytes=${start}-` } } : {}),
    scopes: [{ repository: repo, actions: ['pull'] }],
    context: { repository: repo, what: `get blob ${digest.slice(0, 19)} from ${repo}` },
    expect: start > 0 ? [200, 206] : [200],
    followRedirects: true,
  });
  if (start > 0) return response.status === 206 ? response.body : skipBytes(response.body, start);
  if (options.verify === false) return response.body;
  const length = Number(header(response.headers, 'content-length') ?? 'NaN');
  const verifier = new DigestVerifier({ digest, size: Number.isFinite(length) ? length : undefined });
  response.body.once('error', (error) => verifier.destroy(error));
  verifier.once('close', () => response.body.destroy());
  return response.body.pipe(verifier);
}

/** Drops the first `count` bytes of a stream (a registry that ignored `Range`). */
function skipBytes(stream: Readable, count: number): Readable {
  let remaining = count;
  const skip = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (remaining >= chunk.length) {
        remaining -= chunk.length;
        done();
        return;
      }
      const rest = chunk.subarray(remaining);
      remaining = 0;
      done(null, rest);
    },
  });
  stream.once('error', (error) => skip.destroy(error));
  skip.once('close', () => stream.destroy());
  return stream.pipe(skip);
}

/**
 * Mounts `descriptor` from `fromRepo` into `repo`. When the registry declines (202), uploads it
 * instead: from `openStream` if given, else by copying it out of `fromRepo` through this host.
 */
export async function mountBlob(
  http: RegistryHttp,
  repo: string,
  descriptor: Descriptor,
  fromRepo: string,
  upload: Omit<BlobUploadOptions, 'session'> & { openStream: OpenBlobStream | undefined },
): Promise<'mounted' | 'uploaded'> {
  const started = await startMount(http, repo, descriptor.digest, fromRepo);
  if (started === 'mounted') return 'mounted';
  http.log(`${describeBlob('mount', descriptor.digest, repo)}: the registry declined the mount; uploading instead`);
  let open = upload.openStream;
  let mode = upload.mode;
  if (open === undefined) {
    // A copy streams once from start to end: chunked mode would re-read the source per chunk.
    mode = 'monolithic';
    open = async (start) => {
      const stream = await getBlob(http, fromRepo, descriptor.digest);
      if (start === 0) return stream;
      throw new Error('Internal error: a copied blob cannot be opened mid-way');
    };
  }
  await uploadBlob(http, repo, descriptor, open, { ...upload, mode, session: started });
  return 'uploaded';
}
