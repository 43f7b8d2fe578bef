import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InterruptedError, MeshbuildError } from '../../../src/errors.js';
import { isMovingTag, runTagPhase, tagWriteOrder, type TagPhaseOptions, type TagWrite } from '../../../src/publish/tag-phase.js';
import { MemoryStore } from '../../support/memory-store.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-tag-phase-');

const IMAGES = ['pilot', 'proxyv2', 'istioctl'];
const TAGS_151 = ['1.5.1', '1.5', 'latest'];

/** Stores with release 1.5.0 tagged (1.5.0, 1.5, latest) and the 1.5.1 indexes pushed by digest. */
type MemoryWrite = TagWrite & { store: MemoryStore };

function releasedStores(): { stores: MemoryStore[]; writes: MemoryWrite[] } {
  const stores: MemoryStore[] = [];
  const writes: MemoryWrite[] = [];
  for (const image of IMAGES) {
    const store = new MemoryStore(`registry.test/mesh/${image}`);
    const old = store.addIndex(`${image} 1.5.0`);
    for (const tag of ['1.5.0', '1.5', 'latest']) store.tags.set(tag, old.descriptor);
    const next = store.addIndex(`${image} 1.5.1`);
    for (const tag of TAGS_151) writes.push({ store, tag, index: next.descriptor, bytes: next.bytes });
    stores.push(store);
  }
  return { stores, writes };
}

function snapshot(stores: MemoryStore[]): Record<string, string | undefined> {
  const tags: Record<string, string | undefined> = {};
  for (const store of stores) for (const tag of ['1.5.0', ...TAGS_151]) tags[`${store.name}:${tag}`] = store.tags.get(tag)?.digest;
  return tags;
}

async function options(extra: Partial<TagPhaseOptions> = {}): Promise<TagPhaseOptions> {
  return { journalFile: path.join(await tempDir(), 'out', 'tags-journal.json'), rerun: 'meshbuild release 1.5.1', baseDelayMs: 1, ...extra };
}

describe('tag order', () => {
  it('counts full versions as immutable and everything else as moving', () => {
    expect(['1.5.1', '1.5.1-distroless', '1.29.0-rc.1'].map(isMovingTag)).toEqual([false, false, false]);
    expect(['latest', '1.5', 'main', 'latest-distroless', '1.5-distroless'].map(isMovingTag)).toEqual([true, true, true, true, true]);
  });

  it('writes version tags first and moving tags last, each group in the order given', () => {
    const order = tagWriteOrder(['latest', '1.5.1', '1.5', '1.5.1-distroless', 'latest-distroless'].map((tag) => ({ tag })));
    expect(order.map((w) => w.tag)).toEqual(['1.5.1', '1.5.1-distroless', 'latest', '1.5', 'latest-distroless']);
  });
});

describe('the tag phase', () => {
  it('writes every tag that does not name its index yet, and leaves the others alone', async () => {
    const { stores, writes } = releasedStores();
    stores[0]!.tags.set('1.5.1', writes[0]!.index);
    const results = await runTagPhase(writes, await options());
    expect(results.filter((r) => r.status === 'unchanged').map((r) => `${r.store.name}:${r.tag}`)).toEqual(['registry.test/mesh/pilot:1.5.1']);
    for (const write of writes) expect(write.store.tags.get(write.tag)).toEqual(write.index);
    expect(stores[0]!.log).toEqual(['put 1.5', 'put latest']);
  });

  const total = IMAGES.length * TAGS_151.length;
  for (const k of [1, 3, Math.ceil(total / 2), total]) {
    it(`puts every tag back when the registry refuses the tag write #${k} once`, async () => {
      const { stores, writes } = releasedStores();
      const before = snapshot(stores);
      for (const store of stores) store.faults = { failTagWritesFrom: 1, failCount: 0 };
      // The K-th write overall: count across stores by failing in whichever store gets it.
      let seen = 0;
      for (const store of stores) {
        const put = store.putManifest.bind(store);
        store.putManifest = (descriptor, bytes, tag) => {
          if (tag !== undefined && ++seen === k) return Promise.reject(new MeshbuildError(`refused write #${k}`));
          return put(descriptor, bytes, tag);
        };
      }
      const opts = await options();
      const error = await runTagPhase(writes, opts).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MeshbuildError);
      expect((error as MeshbuildError).message).toContain(`refused write #${k}`);
      expect((error as MeshbuildError).detail).toContain('every tag is as it was before the run');
      expect(snapshot(stores)).toEqual(before);
      expect(existsSync(opts.journalFile)).toBe(false);
    });
  }

  it('writes a journal naming each tag it could not undo, and a re-run finishes the job and removes it', async () => {
    const { stores, writes } = releasedStores();
    const pilot = stores[0]!;
    pilot.faults = { failTagWritesFrom: 2, refuseDeletes: true }; // the registry refuses writes from the 2nd on, rollback included
    const opts = await options();
    const error = (await runTagPhase(writes, opts).catch((e: unknown) => e)) as MeshbuildError;
    expect(error.exitCode).toBe(1);
    expect(error.hint).toContain('meshbuild release 1.5.1');
    expect(error.detail).toContain(opts.journalFile);
    expect(error.detail).toContain('registry.test/mesh/pilot:1.5.1 names');
    const journal = JSON.parse(readFileSync(opts.journalFile, 'utf8')) as {
      command: string;
      tags: Array<{ reference: string; before: string | null; intended: string; now?: string; undone: boolean }>;
    };
    expect(journal.command).toBe('meshbuild release 1.5.1');
    const left = journal.tags.filter((t) => !t.undone);
    expect(left.map((t) => t.reference)).toEqual(['registry.test/mesh/pilot:1.5.1']);
    expect(left[0]).toMatchObject({ before: null, intended: writes[0]!.index.digest, now: writes[0]!.index.digest });
    // No moving tag moved: every `latest` and `1.5` still names 1.5.0.
    for (const store of stores) for (const tag of ['1.5', 'latest']) expect(store.tags.get(tag)?.digest).not.toBe(writes[0]!.index.digest);

    pilot.faults = {};
    await runTagPhase(writes, opts);
    for (const write of writes) expect(write.store.tags.get(write.tag)).toEqual(write.index);
    expect(existsSync(opts.journalFile)).toBe(false);
  });

  it('keeps moving tags on one version across images when the failure hits the moving tags', async () => {
    const { stores, writes } = releasedStores();
    let writesSeen = 0;
    const versionWrites = IMAGES.length; // version tags go first: the next write is the first moving one
    for (const store of stores) {
      const put = store.putManifest.bind(store);
      store.putManifest = (descriptor, bytes, tag) =>
        tag !== undefined && ++writesSeen === versionWrites + 2 ? Promise.reject(new MeshbuildError('refused')) : put(descriptor, bytes, tag);
    }
    await expect(runTagPhase(writes, await options())).rejects.toThrow(/refused/);
    for (const tag of ['1.5', 'latest']) expect(new Set(stores.map((s) => s.tags.get(tag)?.digest)).size).toBe(IMAGES.length);
    for (const store of stores) expect(store.tags.get('latest')).toEqual(store.tags.get('1.5.0'));
  });

  it('retries transient failures, honouring Retry-After, until they pass', async () => {
    const { stores, writes } = releasedStores();
    stores[1]!.faults = { failTagWritesFrom: 1, failCount: 3, retryable: true, retryAfterMs: 5 };
    await runTagPhase(writes, await options());
    expect(stores[1]!.failures).toBe(3);
    for (const write of writes) expect(write.store.tags.get(write.tag)).toEqual(write.index);
  });

  it('gives up on a transient failure once the deadline would pass, and undoes', async () => {
    const { stores, writes } = releasedStores();
    const before = snapshot(stores);
    stores[2]!.faults = { failTagWritesFrom: 1, failCount: 1, retryable: true, retryAfterMs: 60_000 };
    await expect(runTagPhase(writes, await options({ deadlineMs: 1000 }))).rejects.toThrow(/answered 503/);
    expect(snapshot(stores)).toEqual(before);
  });

  it('stops on Ctrl-C during a write, puts everything back and ends interrupted', async () => {
    const { stores, writes } = releasedStores();
    const before = snapshot(stores);
    const interrupt = new AbortController();
    const proxyv2 = stores[1]!;
    const put = proxyv2.putManifest.bind(proxyv2);
    proxyv2.putManifest = (descriptor, bytes, tag) => {
      if (tag === '1.5.1') {
        interrupt.abort(new InterruptedError('SIGINT'));
        return new Promise<void>(() => {}); // a write that never answers
      }
      return put(descriptor, bytes, tag);
    };
    const error = (await runTagPhase(writes, await options({ signal: interrupt.signal })).catch((e: unknown) => e)) as InterruptedError;
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error.exitCode).toBe(130);
    expect(error.detail).toContain('every tag is as it was before the run');
    expect(snapshot(stores)).toEqual(before);
  });

  it('after Ctrl-C, a registry that stops answering cannot hold the undo: what it could not put back is listed', async () => {
    const { stores, writes } = releasedStores();
    const interrupt = new AbortController();
    const pilot = stores[0]!;
    const put = pilot.putManifest.bind(pilot);
    let writesSeen = 0;
    pilot.putManifest = (descriptor, bytes, tag) => {
      if (tag === undefined) return put(descriptor, bytes, tag);
      if (++writesSeen === 1) return put(descriptor, bytes, tag);
      interrupt.abort(new InterruptedError('SIGTERM'));
      return new Promise<void>(() => {}); // from the second write on, nothing answers: the undo's puts included
    };
    pilot.faults = { refuseDeletes: false };
    pilot.deleteTag = () => new Promise<boolean>(() => {});
    const opts = await options({ signal: interrupt.signal, interruptedUndoMs: 50 });
    const error = (await runTagPhase(writes, opts).catch((e: unknown) => e)) as InterruptedError;
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error.message).toBe('interrupted by SIGTERM');
    expect(error.detail).toContain('could not be undone');
    expect(error.detail).toContain('no answer within');
    const journal = JSON.parse(readFileSync(opts.journalFile, 'utf8')) as { interrupted: boolean; tags: Array<{ reference: string; undone: boolean }> };
    expect(journal.interrupted).toBe(true);
    expect(journal.tags.filter((t) => !t.undone).map((t) => t.reference)).toContain('registry.test/mesh/pilot:1.5.1');
  });

  it('refuses one tag naming two indexes', async () => {
    const store = new MemoryStore('registry.test/mesh/pilot');
    const a = store.addIndex('a');
    const b = store.addIndex('b');
    await expect(
      runTagPhase(
        [
          { store, tag: 'latest', index: a.descriptor, bytes: a.bytes },
          { store, tag: 'latest', index: b.descriptor, bytes: b.bytes },
        ],
        await options(),
      ),
    ).rejects.toThrow(/would name both/);
  });
});
