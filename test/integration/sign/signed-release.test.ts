/**
 * Signed releases against the real local registry and the real cosign CLI, in order: a key from
 * `meshbuild keygen`; `release --sign-key` publishes every image with a signature and SBOM +
 * provenance attestations on every index and platform manifest, which cosign verifies offline;
 * the SBOM's Go modules are what `go version -m` says of the same binary taken from the image;
 * `meshbuild verify --key` passes; a mirror to another repository verifies there (cosign and
 * meshbuild); a tampered signature fails `meshbuild verify --key` (and cosign). The private key
 * never appears in any output or report.
 */
import { chmod, copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileFromTar } from '../../../src/oci/tar-reader.js';
import { sha256Digest } from '../../../src/oci/digest.js';
import { redactText } from '../../../src/registry/redact.js';
import { runCli, type CliResult } from '../../support/cli.js';
import { getBlob, getManifest, listTags, SHIPPED_IMAGES, uniqueNamespace, type IndexEntry } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';
import { ALL_IMAGES, copySample, expectExit, useTempDirs } from '../release/fixtures.js';
import { cosignVerify, cosignVerifyAttestation, goVersionM, printedStatements } from './cosign.js';

const tempDir = useTempDirs('signed-release');
const RELEASE_TIMEOUT = 900_000;

interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo: string;
  primaryPackagePurpose: string;
  packageFileName?: string;
  checksums?: Array<{ checksumValue: string }>;
}
interface SpdxDocument {
  spdxVersion: string;
  packages: SpdxPackage[];
  relationships: Array<{ spdxElementId: string; relationshipType: string; relatedSpdxElement: string }>;
}

describe('meshbuild release --sign-key', () => {
  let registry: string;
  let namespace: string;
  let work: string;
  let keys: string;
  let privateKeyText: string;
  let release: CliResult;
  /** `repo@digest` of every index and platform manifest, by image. */
  const manifests = new Map<string, Array<{ digest: string; platform?: string }>>();

  const pub = () => path.join(keys, 'meshbuild.pub');
  const keyBody = () => privateKeyText.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  const expectNoKey = (text: string) => {
    for (const line of keyBody()) expect(text).not.toContain(line);
  };

  beforeAll(async () => {
    registry = await localRegistry();
    namespace = uniqueNamespace('signed');
    work = await tempDir();
    keys = path.join(work, 'keys');
    const keygen = await runCli(['keygen', '--out', keys]);
    expectExit(keygen, 0, 'keygen');
    privateKeyText = await readFile(path.join(keys, 'meshbuild.key'), 'utf8');
    const sample = await copySample(path.join(work, 'sample'));
    release = await runCli([
      'release',
      '1.0.0',
      '--hub',
      `${registry}/${namespace}`,
      '--platforms',
      'amd64,arm64',
      '--builder',
      'native',
      '--source',
      sample,
      '--out',
      path.join(work, 'out'),
      '--report',
      path.join(work, 'report.json'),
      '--sign-key',
      path.join(keys, 'meshbuild.key'),
    ]);
    expectExit(release, 0, 'release --sign-key');
    for (const image of ALL_IMAGES) {
      const index = await getManifest(registry, `${namespace}/${image}`, '1.0.0');
      const entries = (index.json.manifests as IndexEntry[]).map((m) => ({ digest: m.digest, platform: `${m.platform!.os}/${m.platform!.architecture}` }));
      manifests.set(image, [{ digest: index.digest }, ...entries]);
    }
  }, RELEASE_TIMEOUT);

  it('keygen wrote a private key only its owner can read, and the release never printed or reported it', async () => {
    const { stat } = await import('node:fs/promises');
    expect((await stat(path.join(keys, 'meshbuild.key'))).mode & 0o777).toBe(0o600);
    expect(privateKeyText).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(release.stdout).toContain('signed: 30 manifests');
    expect(release.stderr).not.toContain('can be read by others');
    expectNoKey(release.stdout + release.stderr);
    expectNoKey(await readFile(path.join(work, 'report.json'), 'utf8'));
    // Once read, the key is a known secret: any message that would carry it is scrubbed when printed.
    for (const line of keyBody()) expect(redactText(`a message with ${line} in it`)).toBe('a message with <redacted> in it');
  });

  it('stores a .sig and an .att manifest, tagged and naming it as subject, for every index and platform manifest of every image', async () => {
    for (const image of ALL_IMAGES) {
      const tags = await listTags(registry, `${namespace}/${image}`);
      for (const { digest } of manifests.get(image)!) {
        const hex = digest.replace('sha256:', '');
        expect(tags, image).toContain(`sha256-${hex}.sig`);
        expect(tags, image).toContain(`sha256-${hex}.att`);
        // Named as the subject too: a registry with the OCI 1.1 referrers API lists them as referrers.
        for (const kind of ['sig', 'att'])
          expect((await getManifest(registry, `${namespace}/${image}`, `sha256-${hex}.${kind}`)).json.subject).toMatchObject({ digest });
      }
    }
  });

  it(
    'cosign verifies the signature, the SPDX SBOM and the SLSA provenance of every index and platform manifest',
    async () => {
      for (const image of ALL_IMAGES) {
        for (const { digest } of manifests.get(image)!) {
          const reference = `${registry}/${namespace}/${image}@${digest}`;
          const verified = await cosignVerify(pub(), reference);
          expect(verified.exitCode, `${reference}\n${verified.stderr}`).toBe(0);
          expect(JSON.parse(verified.stdout.trim().split('\n').pop()!)[0].critical.image['docker-manifest-digest']).toBe(digest);
          for (const type of ['spdxjson', 'slsaprovenance1', 'slsaprovenance']) {
            const attested = await cosignVerifyAttestation(pub(), type, reference);
            expect(attested.exitCode, `${type} ${reference}\n${attested.stderr}`).toBe(0);
            for (const statement of printedStatements(attested.stdout)) expect(statement.subject[0]!.digest.sha256).toBe(digest.slice(7));
          }
        }
      }
    },
    RELEASE_TIMEOUT,
  );

  it('lists in each platform SBOM the Go binaries of the image with the modules go version -m reports for them', async () => {
    for (const [image, files] of Object.entries(SHIPPED_IMAGES)) {
      for (const { digest, platform } of manifests.get(image)!.slice(1)) {
        const reference = `${registry}/${namespace}/${image}@${digest}`;
        const attested = await cosignVerifyAttestation(pub(), 'spdxjson', reference);
        const sbom = printedStatements(attested.stdout)[0]!.predicate as SpdxDocument;
        expect(sbom.spdxVersion).toBe('SPDX-2.3');
        const binaries = sbom.packages.filter((p) => p.primaryPackagePurpose === 'APPLICATION');
        for (const file of files) {
          const listed = binaries.find((p) => p.packageFileName === file);
          expect(listed, `${image} ${platform} ${file}`).toBeDefined();
          const bytes = await fileInImage(registry, `${namespace}/${image}`, digest, file);
          expect(listed!.checksums?.[0]?.checksumValue).toBe(sha256Digest(bytes).slice(7));
          const local = path.join(await tempDir(), path.basename(file));
          await writeFile(local, bytes);
          const go = await goVersionM(local);
          expect(listed!.name).toBe(go.path);
          const byId = new Map(sbom.packages.map((p) => [p.SPDXID, p]));
          const modules = sbom.relationships
            .filter((r) => r.spdxElementId === listed!.SPDXID && r.relationshipType === 'DEPENDS_ON')
            .map((r) => byId.get(r.relatedSpdxElement)!)
            .map((p) => `${p.name}@${p.versionInfo}`)
            .sort();
          expect(modules, `${image} ${platform} ${file}`).toEqual(go.modules.map((m) => `${m.path}@${m.version}`).sort());
        }
      }
    }
  });

  it('passes meshbuild verify --key on every image', async () => {
    const result = await runCli(['verify', '--key', pub(), ...ALL_IMAGES.map((image) => `${registry}/${namespace}/${image}:1.0.0`)]);
    expectExit(result, 0, 'verify --key');
    expect(result.stdout).toContain(`verify: ${ALL_IMAGES.length} of ${ALL_IMAGES.length} references passed`);
    expect(result.stdout.match(/signed manifests: 3, attestations verified: 9/g)).toHaveLength(ALL_IMAGES.length);
  });

  it(
    'mirror copies the signatures and attestations: the copy verifies at its destination',
    async () => {
      const destination = `${registry}/${uniqueNamespace('signed-mirror')}`;
      const result = await runCli(['mirror', `${registry}/${namespace}/pilot:1.0.0`, destination, '--out', path.join(work, 'mirror-out')]);
      expectExit(result, 0, 'mirror');
      expect(result.stdout).toContain('signatures: 3 .sig and 3 .att manifests copied');
      for (const { digest } of manifests.get('pilot')!) {
        const reference = `${destination}/pilot@${digest}`;
        expect((await cosignVerify(pub(), reference)).exitCode, reference).toBe(0);
        expect((await cosignVerifyAttestation(pub(), 'spdxjson', reference)).exitCode, reference).toBe(0);
        expect((await cosignVerifyAttestation(pub(), 'slsaprovenance1', reference)).exitCode, reference).toBe(0);
      }
      expectExit(await runCli(['verify', '--key', pub(), `${destination}/pilot:1.0.0`]), 0, 'verify --key at the destination');
    },
    RELEASE_TIMEOUT,
  );

  it('fails meshbuild verify --key (and cosign) once a platform signature is tampered with', async () => {
    const repository = `${namespace}/ext-authz`;
    const [, arm] = manifests.get('ext-authz')!.filter((m) => m.platform !== undefined);
    const tag = `sha256-${arm!.digest.slice(7)}.sig`;
    const signatureManifest = await getManifest(registry, repository, tag);
    const layers = signatureManifest.json.layers as Array<{ annotations: Record<string, string> }>;
    const signature = Buffer.from(layers[0]!.annotations['dev.cosignproject.cosign/signature']!, 'base64');
    signature[signature.length - 2]! ^= 0x40;
    layers[0]!.annotations['dev.cosignproject.cosign/signature'] = signature.toString('base64');
    const response = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'Content-Type': signatureManifest.mediaType },
      body: JSON.stringify(signatureManifest.json),
    });
    expect(response.status).toBe(201);

    const result = await runCli(['verify', '--key', pub(), `${registry}/${repository}:1.0.0`]);
    expectExit(result, 1, 'verify --key after tampering');
    expect(result.stdout).toContain(`the linux/arm64 manifest ${arm!.digest} has no signature that verifies with the key (${tag})`);
    expect((await cosignVerify(pub(), `${registry}/${repository}@${arm!.digest}`)).exitCode).not.toBe(0);
  });

  it('warns about a key file others can read, before anything runs', async () => {
    const loose = path.join(work, 'loose.key');
    await copyFile(path.join(keys, 'meshbuild.key'), loose);
    await chmod(loose, 0o644);
    const result = await runCli(['release', '1.0.1', '--hub', `${registry}/${namespace}`, '--sign-key', loose, '--dry-run', '--out', path.join(work, 'dry')]);
    expectExit(result, 0, 'release --dry-run with a loose key');
    expect(result.stderr).toContain(`warning: the signing key ${loose} can be read by others than its owner (mode 644): chmod 600 it`);
    expectNoKey(result.stdout + result.stderr);
  });
});

/** A file's content in a platform image, from the topmost layer that has it. */
async function fileInImage(registry: string, repository: string, digest: string, file: string): Promise<Buffer> {
  const manifest = await getManifest(registry, repository, digest);
  const layers = (manifest.json.layers as Array<{ digest: string }>).map((l) => l.digest).reverse();
  for (const layer of layers) {
    const bytes = await readFileFromTar(await getBlob(registry, repository, layer), file.replace(/^\//, ''), { what: layer });
    if (bytes !== undefined) return bytes;
  }
  throw new Error(`${file} is in no layer of ${repository}@${digest}`);
}
