/** One registry client per registry host for a whole command, so every store on a host shares its auth and limits. */
import { RegistryClient, type RegistryClientOptions } from './client.js';

export class RegistryClients {
  private readonly clients = new Map<string, RegistryClient>();

  constructor(private readonly options: RegistryClientOptions = {}) {}

  for(registry: string): RegistryClient {
    let client = this.clients.get(registry);
    if (client === undefined) {
      client = new RegistryClient(registry, this.options);
      this.clients.set(registry, client);
    }
    return client;
  }

  /** `for` as a plain function, for code that takes `(registry) => RegistryClient`. */
  get lookup(): (registry: string) => RegistryClient {
    return (registry) => this.for(registry);
  }

  get insecureRegistries(): string[] {
    return [...(this.options.insecureRegistries ?? [])];
  }
}
