/**
 * Which builder each image gets: `chooseBuilder` and `nativeBlocker` directly (pure), and through
 * `meshbuild plan` (no Docker, no Go: planning only reads the targets and Dockerfiles).
 * test/fixtures/native/unsupported has one image per instruction the native builder refuses.
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMeshbuildError, type MeshbuildError } from '../../../src/errors.js';
import { parseDockerfile } from '../../../src/image/dockerfile.js';
import { chooseBuilder, nativeBlocker } from '../../../src/plan/builder-choice.js';
import { runCli, STACK_FRAME } from '../../support/cli.js';

const UNSUPPORTED = path.join('test', 'fixtures', 'native', 'unsupported');
const SHIPPED_IMAGE_NAMES = ['base', 'distroless', 'iptables', 'pilot', 'proxyv2', 'istioctl', 'install-cni', 'ztunnel', 'app', 'ext-authz'];

function dockerfile(text: string) {
  return parseDockerfile(text, 'x.Dockerfile');
}

function thrown(run: () => unknown): MeshbuildError {
  try {
    run();
  } catch (error) {
    if (isMeshbuildError(error)) return error;
    throw error;
  }
  throw new Error('expected a meshbuild error');
}

interface PlannedImage {
  kind: string;
  image: string;
  builder: string;
  builderReason: string;
}

async function plannedBuilders(args: string[]): Promise<Record<string, { builder: string; reason: string }>> {
  const result = await runCli(['plan', '--json', '--tag', 't', '--out', path.join(os.tmpdir(), 'meshbuild-unit-plan-out'), ...args]);
  if (result.exitCode !== 0) throw new Error(`meshbuild plan failed (exit ${result.exitCode}): ${result.stderr}`);
  const plan = JSON.parse(result.stdout) as { jobs: PlannedImage[] };
  return Object.fromEntries(plan.jobs.filter((j) => j.kind === 'image-build').map((j) => [j.image, { builder: j.builder, reason: j.builderReason }]));
}

describe('nativeBlocker: what --builder auto sends to buildx', () => {
  it.each([
    ['RUN', 'FROM scratch\nRUN ["/a"]', 'RUN', 2],
    ['HEALTHCHECK', 'FROM scratch\nHEALTHCHECK CMD ["/a"]', 'HEALTHCHECK', 2],
    ['ONBUILD', 'FROM scratch\nONBUILD COPY . /app', 'ONBUILD', 2],
    ['COPY --from a stage', 'FROM scratch AS b\nFROM scratch\nCOPY --from=b /a /a', 'COPY --from', 3],
    ['COPY --from an image', 'FROM scratch\nCOPY --from=registry.example/x:1 /a /a', 'COPY --from', 2],
    ['ADD <url>', 'FROM scratch\nADD https://example.invalid/a /a', 'ADD <url>', 2],
    ['ADD <archive>', 'FROM scratch\nADD rootfs.tar.gz /', 'ADD <archive>', 2],
    ['a wildcard', 'FROM scratch\nCOPY *.yaml /etc/', 'COPY <wildcard>', 2],
    ['--chown with a name', 'FROM scratch\nCOPY --chown=istio-proxy a /a', 'COPY --chown=<name>', 2],
    ['FROM --platform', 'FROM --platform=linux/amd64 scratch', 'FROM --platform', 1],
  ])('%s', (_name, text, keyword, line) => {
    expect(nativeBlocker(dockerfile(text))).toEqual({ keyword, line });
  });

  it('lets through every shipped Dockerfile form: ARG, FROM stages, COPY --chown=uid, ENV, LABEL, USER, WORKDIR, ENTRYPOINT, CMD, EXPOSE', () => {
    const text = [
      'ARG BASE_DISTRIBUTION=debug',
      'FROM base AS debug',
      'FROM ${BASE_DISTRIBUTION}',
      'ARG TARGETARCH',
      'COPY --chown=1337:1337 --chmod=0755 ${TARGETARCH}/app /usr/local/bin/app',
      'ADD conf.yaml /etc/',
      'ENV PATH=$PATH:/x',
      'LABEL a=b',
      'USER 1337:1337',
      'WORKDIR /w',
      'EXPOSE 8080',
      'VOLUME /data',
      'STOPSIGNAL SIGTERM',
      'ENTRYPOINT ["/usr/local/bin/app"]',
      'CMD ["serve"]',
    ].join('\n');
    expect(nativeBlocker(dockerfile(text))).toBeUndefined();
  });
});

describe('chooseBuilder', () => {
  const copyOnly = dockerfile('FROM scratch\nCOPY a /a');
  const runs = dockerfile('FROM scratch\nCOPY a /a\nRUN ["/a"]');

  it('--builder buildx is buildx whatever the Dockerfile', () => {
    expect(chooseBuilder(copyOnly, 'buildx').builder).toBe('buildx');
    expect(chooseBuilder(runs, 'buildx').builder).toBe('buildx');
  });

  it('--builder native is native for a Dockerfile that only copies files', () => {
    expect(chooseBuilder(copyOnly, 'native')).toEqual({ builder: 'native', reason: '--builder native' });
  });

  it('--builder native refuses RUN with a usage error at the Dockerfile line', () => {
    const error = thrown(() => chooseBuilder(runs, 'native'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('RUN cannot be built by the native builder');
    expect(error.location).toEqual({ file: 'x.Dockerfile', line: 3, column: 1 });
  });

  it('--builder auto: buildx where the Dockerfile runs code; native for copy-only Dockerfiles', () => {
    expect(chooseBuilder(runs, 'auto')).toEqual({ builder: 'buildx', reason: 'auto: RUN at line 3 needs buildx' });
    expect(chooseBuilder(copyOnly, 'auto').builder).toBe('native');
  });
});

describe('meshbuild plan shows the builder of each image', () => {
  it('--builder native: native for every image of the shipped graph', async () => {
    const builders = await plannedBuilders(['--builder', 'native']);
    expect(Object.keys(builders).sort()).toEqual([...SHIPPED_IMAGE_NAMES].sort());
    for (const name of SHIPPED_IMAGE_NAMES) expect(builders[name], name).toEqual({ builder: 'native', reason: '--builder native' });
  });

  it('--builder buildx: buildx for every image of the shipped graph', async () => {
    const builders = await plannedBuilders(['--builder', 'buildx']);
    for (const name of SHIPPED_IMAGE_NAMES) expect(builders[name]?.builder, name).toBe('buildx');
  });

  it('--builder auto: the shipped Dockerfiles get native', async () => {
    const builders = await plannedBuilders(['--builder', 'auto']);
    for (const name of SHIPPED_IMAGE_NAMES) {
      expect(builders[name], name).toEqual({ builder: 'native', reason: 'auto: only copies files onto a base' });
    }
  });

  it('--builder auto --load: buildx for every image (only buildx talks to a Docker Engine)', async () => {
    const builders = await plannedBuilders(['--builder', 'auto', '--load']);
    for (const name of SHIPPED_IMAGE_NAMES) expect(builders[name], name).toEqual({ builder: 'buildx', reason: 'auto: --load needs buildx' });
  });

  it('--builder auto: a Dockerfile with RUN gets buildx, and the plan says why', async () => {
    const builders = await plannedBuilders(['--builder', 'auto', '--targets', UNSUPPORTED, 'run', 'copy-from', 'copy-only']);
    expect(builders.run?.builder).toBe('buildx');
    expect(builders['copy-from']?.builder).toBe('buildx');
    expect(builders['copy-only']?.builder).toBe('native');
    expect(builders.run?.reason).toBe('auto: RUN at line 4 needs buildx');
    expect(builders['copy-from']?.reason).toBe('auto: COPY --from at line 5 needs buildx');
  });

  it('the text plan names the builder and the reason', async () => {
    const result = await runCli(['plan', 'pilot', '--builder', 'native', '--tag', 't', '--platforms', 'amd64,arm64']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^ {2}native pilot linux\/amd64,linux\/arm64$/m);
    expect(result.stdout).toMatch(/^ {6}builder native \(--builder native\)$/m);
  });
});

describe('--builder native with an instruction it cannot build: exit 2 through the CLI', () => {
  it.each([
    ['run', 'run.Dockerfile', 4, 'RUN'],
    ['healthcheck', 'healthcheck.Dockerfile', 4, 'HEALTHCHECK'],
    ['onbuild', 'onbuild.Dockerfile', 2, 'ONBUILD'],
    ['copy-from', 'copy-from.Dockerfile', 5, 'COPY --from'],
    ['add-url', 'add-url.Dockerfile', 3, 'ADD <url>'],
  ])('%s: one error naming the Dockerfile, the line and the instruction', async (image, file, line, instruction) => {
    for (const command of ['plan', 'build']) {
      const result = await runCli([
        command,
        image,
        '--builder',
        'native',
        '--targets',
        UNSUPPORTED,
        '--tag',
        't',
        '--platforms',
        'amd64',
        '--out',
        path.join(os.tmpdir(), 'meshbuild-unit-unsupported-out'),
      ]);
      expect(result.exitCode, `${command}: ${result.stderr}`).toBe(2);
      const errors = result.stderr.split('\n').filter((l) => l.startsWith('error:'));
      expect(errors, result.stderr).toEqual([`error: ${path.join(UNSUPPORTED, file)}:${line}:1: ${instruction} cannot be built by the native builder`]);
      expect(result.stderr).toContain('hint: use --builder buildx');
      expect(result.stderr).not.toMatch(STACK_FRAME);
    }
  });
});
