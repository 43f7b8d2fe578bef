/**
 * Where a run's images go, as image stores: each hub's repository (registry output) or the OCI
 * layout. One registry client per registry host is shared by every store on it. The registry
 * modules load on first use: a run to a local output with no registry base never needs them.
 */
import path from 'node:path';
import { stepError, usageError } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import type { ImageBuildJob, Plan } from '../plan/types.js';
import type { RegistryClient, RegistryClientOptions } from '../registry/client.js';
import type { RegistryClients } from '../registry/client-pool.js';
import { parseReference } from '../registry/reference.js';
import type { ImageStore } from './image-store.js';
import { ArchiveStore } from './archive-store.js';
import { LayoutStore } from './layout-store.js';
import type { RegistryStore } from './registry-store.js';

export interface Destination {
  store: ImageStore;
  /** The tag to write in this store for a planned ref, or undefined if the ref is not this store's. */
  tagFor(ref: string): string | undefined;
  /** How a report names the tag: `host/repo:tag` in a registry, the ref itself in a local output. */
  reference(tag: string): string;
}

export class Destinations {
  private clients: Promise<RegistryClients> | undefined;
  private readonly layouts = new Map<string, Promise<LayoutStore>>();
  private readonly archives = new Map<string, Promise<ArchiveStore>>();

  constructor(
    private readonly plan: Plan,
    private readonly clientOptions: RegistryClientOptions,
  ) {}

  async client(registry: string): Promise<RegistryClient> {
    this.clients ??= import('../registry/client-pool.js').then(({ RegistryClients }) => new RegistryClients(this.clientOptions));
    return (await this.clients).for(registry);
  }

  /** A store for a repository of a registry (and the repositories its blobs may be mounted from). */
  private async registryStore(registry: string, repository: string, siblings: string[] = []): Promise<RegistryStore> {
    const [{ RegistryStore }, client] = await Promise.all([import('./registry-store.js'), this.client(registry)]);
    return new RegistryStore(client, repository, siblings);
  }

  /**
   * Asks every registry the run pushes to for one repository's tags before anything is built, so
   * an unreachable registry or refused credentials is one message up front, not one per image later.
   */
  async checkRegistries(): Promise<void> {
    const seen = new Set<string>();
    for (const job of this.plan.jobs) {
      if (job.kind !== 'image-build') continue;
      for (const repository of job.repositories) {
        const reference = parseReference(repository);
        if (seen.has(reference.registry)) continue;
        seen.add(reference.registry);
        await (await this.client(reference.registry)).listTags(reference.repository);
      }
    }
  }

  /** A registry image by reference (`host/repo:tag` or `@sha256:`), for reading: its store and root descriptor. */
  async openImage(reference: string): Promise<{ store: RegistryStore; index: Descriptor }> {
    const parsed = parseReference(reference);
    const store = await this.registryStore(parsed.registry, parsed.repository);
    const index = await store.resolveTag(parsed.digest ?? parsed.tag ?? 'latest');
    if (!index)
      throw stepError(`${reference} does not exist in ${parsed.registry}`, { hint: 'check the name and tag, and that you are logged in (docker login)' });
    return { store, index };
  }

  /**
   * The stores an image build is kept in by digest before anything is tagged. `externalBases`:
   * registry bases the build read (`host/repo:tag`); in the same registry, their layers are mounted.
   */
  async forImage(job: ImageBuildJob, externalBases: readonly string[] = []): Promise<Destination[]> {
    const output = this.plan.output;
    if (!output) return [];
    switch (output.kind) {
      case 'registry': {
        // Blobs of in-graph bases are already in the bases' repositories, and those of registry
        // bases in theirs: mount, don't send.
        const siblings = new Map<string, string[]>();
        const sources = job.bases.flatMap(
          (base) => this.plan.jobs.find((j): j is ImageBuildJob => j.id === base.jobId && j.kind === 'image-build')?.repositories ?? [],
        );
        for (const repository of [...sources, ...externalBases]) {
          const reference = parseReference(repository);
          const known = siblings.get(reference.registry) ?? [];
          if (!known.includes(reference.repository)) siblings.set(reference.registry, [...known, reference.repository]);
        }
        const destinations: Destination[] = [];
        for (const repository of job.repositories) {
          const reference = parseReference(repository);
          const known = siblings.get(reference.registry) ?? [];
          const store = await this.registryStore(reference.registry, reference.repository, [...known]);
          siblings.set(reference.registry, [...known, reference.repository]);
          destinations.push({
            store,
            tagFor: (ref: string) => {
              const parsed = parseReference(ref);
              return parsed.registry === reference.registry && parsed.repository === reference.repository ? parsed.tag : undefined;
            },
            reference: (tag: string) => `${store.name}:${tag}`,
          });
        }
        return destinations;
      }
      case 'oci':
      case 'tar': {
        const store = output.kind === 'oci' ? await this.layout(output.dir) : await this.archive(output.dir);
        return [{ store, tagFor: (ref: string) => (ref.startsWith(`${job.image}:`) ? ref : undefined), reference: (tag: string) => tag }];
      }
      case 'docker':
        return [];
    }
  }

  private archive(dir: string): Promise<ArchiveStore> {
    const key = path.resolve(dir);
    let store = this.archives.get(key);
    if (!store) {
      store = ArchiveStore.at(key, this.plan.outDir);
      this.archives.set(key, store);
    }
    return store;
  }

  private layout(dir: string): Promise<LayoutStore> {
    const key = path.resolve(dir);
    let store = this.layouts.get(key);
    if (!store) {
      store = LayoutStore.at(key).catch((error: unknown) => {
        throw usageError(`cannot write the OCI layout ${key}: ${(error as Error).message}`);
      });
      this.layouts.set(key, store);
    }
    return store;
  }
}
