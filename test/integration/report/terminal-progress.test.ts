/**
 * What a person at a terminal sees during a push of a large layer (48 MiB, incompressible) to the
 * local registry: the running job with its elapsed time and the bytes of the layer sent (with a
 * rate), the tag step marked as waiting rather than spinning, and the summary table at the end.
 * A real pseudo-terminal (util-linux `script`); each count redraws the view, so every MiB sent
 * shows. Nothing here measures time.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTerminalCli } from '../../support/cli.js';
import { uniqueNamespace } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';
import { copySample, useTempDirs } from '../core/files.js';

const tempDir = useTempDirs('meshbuild-progress-');
const LAYER = 48 * 1024 * 1024;

describe('meshbuild build --push in a terminal', () => {
  let hub: string;
  let exitCode: number | undefined;
  let lines: string[];

  beforeAll(async () => {
    hub = `${await localRegistry()}/${uniqueNamespace('progress')}`;
    const dir = await tempDir();
    const source = await copySample(path.join(dir, 'source'));
    // The base stand-in copies docker/base/etc/istio/ into its one layer: random bytes keep it 48 MiB.
    await writeFile(path.join(source, 'docker', 'base', 'etc', 'istio', 'large.bin'), randomBytes(LAYER));
    const cli = await startTerminalCli([
      'build',
      'base',
      '--source',
      source,
      '--builder',
      'native',
      '--hub',
      hub,
      '--tag',
      'p1',
      '--push',
      '--out',
      path.join(dir, 'out'),
    ]);
    exitCode = (await cli.child).exitCode;
    lines = cli.output().split('\n');
  }, 600_000);

  it('succeeds', () => {
    expect(exitCode, lines.join('\n')).toBe(0);
  });

  it("shows the image job running with its elapsed time and the layer's bytes sent, with a rate", () => {
    const sending = lines.filter((line) => /^\S native base linux\/amd64,linux\/arm64 {2}\d+(\.\d)?m?s {2}\d+\.\d MiB of 48\.0 MiB sent/.test(line));
    expect(sending.length, lines.join('\n')).toBeGreaterThan(1);
    expect(
      sending.some((line) => /MiB sent, \d+(\.\d)? (B|KiB|MiB|GiB)\/s$/.test(line)),
      sending.join('\n'),
    ).toBe(true);
    // More sent as it goes: the counts shown never go back (one layer, one upload).
    const sent = sending.map((line) => Number(/(\d+\.\d) MiB of/.exec(line)![1]));
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
  });

  it('marks the tag step as waiting while the image is built, and then running with its own time', () => {
    expect(lines).toContain(`· tag 1 images in ${hub}  waiting`);
    expect(lines.some((line) => new RegExp(`^\\S tag 1 images in ${hub.replace(/[.]/g, '\\.')} {2}\\d+(\\.\\d)?m?s`).test(line))).toBe(true);
    expect(lines.some((line) => line.startsWith('✔ native base linux/amd64,linux/arm64 ('))).toBe(true);
  });

  it('ends with the summary: the image, both platforms at 48 MiB compressed, and the total time', () => {
    const end = lines.filter((line) => line.trim() !== '').slice(-3);
    expect(end[0]).toMatch(/^image +variant +platforms +tags +compressed +time +reference$/);
    expect(end[1]).toMatch(
      new RegExp(`^base +default +amd64,arm64 +p1 +48\\.0 MiB, 48\\.0 MiB +\\S+ +${hub.replace(/[.]/g, '\\.')}/base@sha256:[0-9a-f]{64}$`),
    );
    expect(end[2]).toMatch(new RegExp(`^build: done in \\S+; 1 image to ${hub.replace(/[.]/g, '\\.')}$`));
  });
});
