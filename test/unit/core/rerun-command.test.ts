import { describe, expect, it } from 'vitest';
import { registerSecret } from '../../../src/registry/redact.js';
import { rerunCommand } from '../../../src/run/rerun-command.js';

describe('the command to run again', () => {
  it('is the command line, quoted where a shell needs it', () => {
    expect(rerunCommand(['release', '1.5.1', '--hub', 'reg.example/mesh'])).toBe('meshbuild release 1.5.1 --hub reg.example/mesh');
    expect(rerunCommand(['all', '--tag', "it's", '--hub', 'a b'])).toBe(`meshbuild all --tag 'it'\\''s' --hub 'a b'`);
  });

  it('never shows a secret', () => {
    registerSecret('hunter2-secret-token');
    expect(rerunCommand(['push', '--hub', 'reg.example/hunter2-secret-token'])).not.toContain('hunter2-secret-token');
  });
});
