import { describe, expect, it } from 'vitest';
import { formatFailures } from '../../../src/cli/release-command.js';
import type { ReleaseFailure } from '../../../src/release/release.js';

describe('formatFailures', () => {
  it('names each cause by image x platform x hub, then groups what did not run because of it', () => {
    const hub = '127.0.0.1:5555/mesh';
    const failures: ReleaseFailure[] = [
      { step: 'build', subject: 'go:linux_amd64', platforms: ['linux/amd64'], problem: 'stopped after a failure', skipped: true },
      { step: 'build', subject: 'image:base', image: 'base', platforms: ['linux/amd64', 'linux/arm64'], hubs: [hub], problem: 'registry answered 500' },
      {
        step: 'build',
        subject: 'image:pilot',
        image: 'pilot',
        platforms: ['linux/amd64', 'linux/arm64'],
        hubs: [hub],
        problem: 'stopped after a failure',
        skipped: true,
      },
      {
        step: 'verify',
        image: 'proxyv2',
        platforms: ['linux/arm64'],
        hubs: [hub],
        file: '/usr/local/bin/envoy',
        problem: 'exec format error waiting to happen',
      },
      { step: 'conflict', image: 'app', hubs: [hub], problem: `${hub}/app:1.0.0 already names sha256:a, not this build's sha256:b (pass --force to move it)` },
      { step: 'tag', problem: 'writing the tag x failed' },
    ];
    expect(formatFailures(failures)).toEqual([
      `build: base x linux/amd64,linux/arm64 x ${hub}: registry answered 500`,
      `verify: proxyv2 x linux/arm64 x ${hub}: exec format error waiting to happen (/usr/local/bin/envoy)`,
      `conflict: app x ${hub}: ${hub}/app:1.0.0 already names sha256:a, not this build's sha256:b (pass --force to move it)`,
      'tag: writing the tag x failed',
      'not run (stopped after a failure): go:linux_amd64, pilot',
    ]);
  });
});
