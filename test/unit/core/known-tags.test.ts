/**
 * A no-op push: tags seen naming their index earlier in the run are not read or written again by
 * the tag phase, while every other tag goes through it as before (faults and undoing included).
 * Also what of an image job and a go job goes into their fingerprints.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goBuildFingerprint, goRecordKey, notBuiltLastTime } from '../../../src/go/go-freshness.js';
import { plannedImage } from '../../../src/image/image-freshness.js';
import type { Descriptor } from '../../../src/oci/types.js';
import type { GoBuildJob, ImageBuildJob } from '../../../src/plan/types.js';
import { KnownTags } from '../../../src/publish/known-tags.js';
import { runTagPhase, type TagWrite } from '../../../src/publish/tag-phase.js';
import { fingerprintOf } from '../../../src/run/fingerprint.js';
import { MemoryStore } from '../../support/memory-store.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-known-tags-');

/** A memory store that counts tag reads. */
class CountingStore extends MemoryStore {
  reads = 0;
  override resolveTag(tag: string): Promise<Descriptor | undefined> {
    this.reads++;
    return super.resolveTag(tag);
  }
}

async function phaseOptions(known: KnownTags) {
  return {
    journalFile: path.join(await tempDir(), 'tags-journal.json'),
    rerun: 'meshbuild all --push',
    baseDelayMs: 1,
    alreadyNamed: (w: TagWrite) => known.names(w.store, w.tag, w.index.digest),
  };
}

describe('KnownTags and the tag phase', () => {
  it('a tag confirmed earlier in the run is neither read nor written again', async () => {
    const store = new CountingStore('registry.test/mesh/pilot');
    const index = store.addIndex('pilot 1.0');
    store.tags.set('1.0', index.descriptor);
    const known = new KnownTags();
    expect(await known.confirm(store, ['1.0'], index.descriptor)).toBe(true);
    expect(store.reads).toBe(1);
    const results = await runTagPhase([{ store, tag: '1.0', index: index.descriptor, bytes: index.bytes }], await phaseOptions(known));
    expect(results.map((r) => r.status)).toEqual(['unchanged']);
    expect(store.reads).toBe(1);
    expect(store.tagWrites).toBe(0);
  });

  it('confirms nothing when one tag names something else, and the tag phase then writes that tag', async () => {
    const store = new CountingStore('registry.test/mesh/pilot');
    const old = store.addIndex('pilot 0.9');
    const index = store.addIndex('pilot 1.0');
    store.tags.set('1.0', index.descriptor);
    store.tags.set('latest', old.descriptor);
    const known = new KnownTags();
    expect(await known.confirm(store, ['1.0', 'latest'], index.descriptor)).toBe(false);
    expect(known.names(store, '1.0', index.descriptor.digest)).toBe(true);
    expect(known.names(store, 'latest', index.descriptor.digest)).toBe(false);
    const writes = ['1.0', 'latest'].map((tag) => ({ store, tag, index: index.descriptor, bytes: index.bytes }));
    const results = await runTagPhase(writes, await phaseOptions(known));
    expect(results.map((r) => `${r.tag}:${r.status}`)).toEqual(['1.0:unchanged', 'latest:written']);
    expect(store.log).toEqual(['put latest']);
  });

  it('a failing write still undoes what it wrote, and never touches the tags already right', async () => {
    const store = new CountingStore('registry.test/mesh/pilot', { failTagWritesFrom: 2, failCount: 1 });
    const old = store.addIndex('pilot 0.9');
    const index = store.addIndex('pilot 1.0');
    store.tags.set('1.0', index.descriptor);
    store.tags.set('1', old.descriptor);
    store.tags.set('latest', old.descriptor);
    const known = new KnownTags();
    await known.confirm(store, ['1.0'], index.descriptor);
    const writes = ['1.0', '1', 'latest'].map((tag) => ({ store, tag, index: index.descriptor, bytes: index.bytes }));
    await expect(runTagPhase(writes, await phaseOptions(known))).rejects.toThrow(/the tag phase failed/);
    expect(store.tags.get('1.0')).toEqual(index.descriptor);
    expect(store.tags.get('1')).toEqual(old.descriptor);
    expect(store.tags.get('latest')).toEqual(old.descriptor);
    expect(store.log.filter((line) => line.includes('1.0'))).toEqual([]);
  });
});

const imageJob: ImageBuildJob = {
  kind: 'image-build',
  id: 'image:pilot',
  needs: ['go:linux_amd64'],
  title: 'native pilot',
  image: 'pilot',
  builder: 'native',
  builderReason: 'copies only',
  platforms: [{ os: 'linux', architecture: 'amd64' }],
  dockerfile: '/src/pilot/Dockerfile',
  contextDir: '/out/context/pilot',
  context: [{ from: '/out/linux_amd64/pilot-discovery', to: 'amd64/pilot-discovery', root: 'build' }],
  buildArgs: { BASE_VERSION: '1' },
  bases: [],
  variants: [{ variant: 'default', refs: ['reg.test/mesh/pilot:1.0'] }],
  repositories: ['reg.test/mesh/pilot'],
  metadata: { indexAnnotations: {}, manifestAnnotations: {}, labels: {} },
};

describe('what goes into a fingerprint', () => {
  it('an image: its build args, platforms and variants do; its tags and repositories do not', () => {
    const of = (job: ImageBuildJob) => fingerprintOf(plannedImage(job));
    const base = of(imageJob);
    expect(of({ ...imageJob, variants: [{ variant: 'default', refs: ['other.test/x/pilot:2.0'] }], repositories: ['other.test/x/pilot'] })).toBe(base);
    expect(of({ ...imageJob, buildArgs: { BASE_VERSION: '2' } })).not.toBe(base);
    expect(of({ ...imageJob, platforms: [...imageJob.platforms, { os: 'linux', architecture: 'arm64' }] })).not.toBe(base);
    expect(of({ ...imageJob, variants: [{ variant: 'distroless', refs: [] }] })).not.toBe(base);
    expect(of({ ...imageJob, context: [{ ...imageJob.context[0]!, to: 'arm64/pilot-discovery' }] })).not.toBe(base);
  });

  it('a go build: the go version, its environment, its flags and the source tree do', () => {
    const job: GoBuildJob = {
      kind: 'go-build',
      id: 'go:linux_amd64',
      needs: [],
      title: 'go build',
      platform: { os: 'linux', architecture: 'amd64' },
      binaries: [{ name: 'pilot-discovery', package: './pilot/cmd/pilot-discovery', output: '/out/linux_amd64/pilot-discovery' }],
      tags: ['vtprotobuf'],
      cgo: false,
      ldflags: '-X version=1.0',
      sourceDir: '/src',
    };
    const inputs = { goVersion: 'go version go1.24.1 linux/amd64', env: { HOME: '/root' } };
    const base = goBuildFingerprint(job, inputs, 'tree1');
    expect(goBuildFingerprint(job, { ...inputs, env: { HOME: '/elsewhere' } }, 'tree1'), 'HOME is not a go setting').toBe(base);
    expect(goBuildFingerprint(job, { ...inputs, goVersion: 'go version go1.24.2 linux/amd64' }, 'tree1')).not.toBe(base);
    expect(goBuildFingerprint(job, { ...inputs, env: { GOFLAGS: '-race' } }, 'tree1')).not.toBe(base);
    expect(goBuildFingerprint(job, inputs, 'tree2')).not.toBe(base);
    expect(goBuildFingerprint({ ...job, tags: [] }, inputs, 'tree1')).not.toBe(base);
    expect(goBuildFingerprint({ ...job, ldflags: '-X version=1.1' }, inputs, 'tree1')).not.toBe(base);
    // Which packages share the `go build` changes no binary: a batch of one finds the larger batch's run.
    const agent = { name: 'pilot-agent', package: './pilot/cmd/pilot-agent', output: '/out/linux_amd64/pilot-agent' };
    expect(goBuildFingerprint({ ...job, binaries: [...job.binaries, agent] }, inputs, 'tree1')).toBe(base);
    const lastRun = { platform: 'linux/amd64', binaries: [...job.binaries, agent].map(({ name, output }) => ({ name, output })) };
    expect(notBuiltLastTime(job, lastRun)).toBeUndefined();
    // Its record is found by platform and flags, whatever else the batch holds; a further batch of the same flags has its own.
    expect(goRecordKey({ ...job, id: 'go:linux_amd64#2', binaries: [agent] })).toBe(goRecordKey(job));
    expect(goRecordKey({ ...job, tags: [] })).not.toBe(goRecordKey(job));
    expect(goRecordKey({ ...job, sameFlagsBatch: 2 })).not.toBe(goRecordKey(job));
    expect(notBuiltLastTime({ ...job, binaries: [...job.binaries, agent] }, { ...lastRun, binaries: lastRun.binaries.slice(0, 1) })).toBe(
      'the last run did not build pilot-agent',
    );
  });
});
