/**
 * The real cosign CLI for the signed-release tests: where scripts/install-cosign puts it
 * ($MESHBUILD_STATE_DIR/bin), else on PATH, or a loud failure; run offline against a key, over
 * plain HTTP to the loopback registry. Also `go version -m`, parsed, to compare SBOMs with.
 */
import { execa } from 'execa';
import { access } from 'node:fs/promises';
import path from 'node:path';

export async function cosignBinary(): Promise<string> {
  const installed = path.join(process.env.MESHBUILD_STATE_DIR ?? '/var/lib/meshbuild-env', 'bin', 'cosign');
  if (
    await access(installed).then(
      () => true,
      () => false,
    )
  )
    return installed;
  const found = await execa('sh', ['-c', 'command -v cosign'], { reject: false });
  if (found.exitCode === 0 && String(found.stdout).trim() !== '') return String(found.stdout).trim();
  throw new Error(`cosign is not installed (looked in ${installed} and on PATH): run scripts/install-cosign`);
}

export interface CosignResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const OFFLINE = ['--insecure-ignore-tlog=true', '--allow-insecure-registry', '--allow-http-registry'];

/** `cosign verify --key KEY REF`, offline. */
export async function cosignVerify(key: string, reference: string): Promise<CosignResult> {
  return run(['verify', '--key', key, ...OFFLINE, reference]);
}

/** `cosign verify-attestation --key KEY --type TYPE REF`, offline. */
export async function cosignVerifyAttestation(key: string, type: string, reference: string): Promise<CosignResult> {
  return run(['verify-attestation', '--key', key, '--type', type, ...OFFLINE, reference]);
}

async function run(args: string[]): Promise<CosignResult> {
  const result = await execa(await cosignBinary(), args, { reject: false, stdin: 'ignore', env: { COSIGN_EXPERIMENTAL: '0' } });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The in-toto statements cosign verify-attestation printed (one DSSE envelope per line). */
export function printedStatements(stdout: string): Array<{ predicateType: string; subject: Array<{ digest: { sha256: string } }>; predicate: unknown }> {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(Buffer.from((JSON.parse(line) as { payload: string }).payload, 'base64').toString('utf8')));
}

export interface GoVersionM {
  goVersion: string;
  path?: string;
  /** `mod` and `dep` lines as `path version sum`, replacements as what was built. */
  modules: Array<{ path: string; version: string; sum?: string }>;
}

/** `go version -m FILE`, parsed. */
export async function goVersionM(file: string): Promise<GoVersionM> {
  const result = await execa('go', ['version', '-m', file]);
  const lines = String(result.stdout).split('\n');
  const parsed: GoVersionM = { goVersion: lines[0]!.split(': ').pop()!.trim(), modules: [] };
  for (const line of lines.slice(1)) {
    const [kind, ...fields] = line.trim().split('\t');
    if (kind === 'path') parsed.path = fields[0];
    if (kind === 'mod' || kind === 'dep') parsed.modules.push({ path: fields[0]!, version: fields[1]!, ...(fields[2] ? { sum: fields[2] } : {}) });
    if (kind === '=>') {
      const last = parsed.modules[parsed.modules.length - 1]!;
      parsed.modules[parsed.modules.length - 1] = { path: last.path, version: fields[1]!, ...(fields[2] ? { sum: fields[2] } : {}) };
    }
  }
  return parsed;
}
