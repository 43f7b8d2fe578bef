/**
 * One registry client per registry host for a whole command, so every store on a host shares its
 * auth and limits, and one signal (Ctrl-C) reaches every request of every client.
 */
import { sharedAbortController } from '../run/interrupt.js';
import { anySignal } from './abort.js';
import { RegistryClient, type RegistryClientOptions } from './client.js';

export class RegistryClients {
  private readonly clients = new Map<string, RegistryClient>();
  private readonly interrupt = sharedAbortController();
  private readonly options: RegistryClientOptions;

  constructor(options: RegistryClientOptions = {}) {
    const signal = anySignal(options.signal, this.interrupt.signal);
    this.options = { ...options, ...(signal ? { signal } : {}) };
  }

  for(registry: string): RegistryClient {
    let client = this.clients.get(registry);
    if (client === undefined) {
      client = new RegistryClient(registry, this.options);
      this.clients.set(registry, client);
    }
    return client;
  }

  /**
   * Aborts every request of these clients (made already or later) when `signal` aborts: for a
   * signal that exists only once the clients do (`withInterrupt`'s).
   */
  abortOn(signal: AbortSignal): void {
    if (signal.aborted) this.interrupt.abort(signal.reason);
    else signal.addEventListener('abort', () => this.interrupt.abort(signal.reason), { once: true });
  }

  /** `for` as a plain function, for code that takes `(registry) => RegistryClient`. */
  get lookup(): (registry: string) => RegistryClient {
    return (registry) => this.for(registry);
  }

  get insecureRegistries(): string[] {
    return [...(this.options.insecureRegistries ?? [])];
  }
}
