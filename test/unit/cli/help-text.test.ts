/**
 * `--help` of every command, golden (test/unit/cli/help/*.txt), at a fixed width of 100 columns
 * with escape codes stripped. A flag added or reworded shows here: regenerate with
 * `npx vitest run test/unit/cli/help-text.test.ts -u` and read the diff.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { REPO_ROOT, stripAnsi } from '../../support/cli.js';

class Captured extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function help(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return run([...args, '--help']);
}

async function run(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const stdout = new Captured();
  const stderr = new Captured();
  const exitCode = await main(args, { stdout, stderr, env: {}, interactive: false, columns: 100 });
  return { exitCode, stdout: stripAnsi(stdout.text), stderr: stripAnsi(stderr.text) };
}

const COMMANDS = ['all', 'build', 'plan', 'list', 'graph', 'verify', 'mirror', 'push', 'release', 'matrix', 'merge', 'keygen'];

describe('--help', () => {
  it('meshbuild --help lists every command', async () => {
    const result = await help([]);
    expect(result.exitCode).toBe(0);
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  meshbuild ${command}\\b`, 'm'));
    await expect(result.stdout).toMatchFileSnapshot('help/meshbuild.txt');
  });

  it.each(COMMANDS)('meshbuild %s --help: its flags and two or three examples', async (command) => {
    const result = await help([command]);
    expect(result.exitCode, result.stderr).toBe(0);
    const examples = result.stdout.split('\nExamples:\n')[1] ?? '';
    const exampleLines = examples.split('\n').filter((line) => line.startsWith('  meshbuild '));
    expect(exampleLines.length).toBeGreaterThanOrEqual(2);
    expect(exampleLines.length).toBeLessThanOrEqual(3);
    await expect(result.stdout).toMatchFileSnapshot(`help/${command}.txt`);
  });

  it('plan --help lists none of the flags only a run uses', async () => {
    const { stdout } = await help(['plan']);
    for (const flag of ['--push', '--push-by-digest', '--load', '--output', '--report', '--jobs', '--keep-going', '--dry-run', '--attest']) {
      expect(stdout).not.toMatch(new RegExp(`^\\s+${flag}\\b`, 'm'));
    }
  });

  it('meshbuild completion prints a shell script; completions come from the same commands and flags', async () => {
    const script = await run(['completion']);
    expect(script.exitCode).toBe(0);
    expect(script.stdout).toMatch(/^###-begin-meshbuild-completions-###$/m);
    expect((await run(['--get-yargs-completions', 'meshbuild', 'pl'])).stdout.split('\n')).toContain('plan');
    const planFlags = (await run(['--get-yargs-completions', 'meshbuild', 'plan', '--'])).stdout.split('\n');
    expect(planFlags).toContain('--json');
    expect(planFlags).not.toContain('--push');
  });

  it('--version alone and after a command print the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await run(['--version'])).toEqual({ exitCode: 0, stdout: `${version}\n`, stderr: '' });
    expect(await run(['plan', '--version'])).toEqual({ exitCode: 0, stdout: `${version}\n`, stderr: '' });
  });

  it("an unknown flag is exit 2 with the command's closest flags", async () => {
    expect(await run(['plan', '--platfroms', 'arm64'])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'error: Unknown argument: platfroms\nhint: did you mean --platforms? (meshbuild --help lists commands and flags)\n',
    });
    expect((await run(['all', '--dryrun'])).stderr).toMatch(/^hint: did you mean --dry-run\?/m);
    expect((await run(['plan', '--zzz'])).stderr).toMatch(/^hint: meshbuild --help lists commands and flags$/m);
  });
});
