import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redactHeaders, redactText, registerCredentialSecrets, REDACTED } from '../../../src/registry/redact.js';
import { RegistryError, responseError } from '../../../src/registry/registry-error.js';

describe('redaction', () => {
  it('redacts credential headers', () => {
    expect(redactHeaders({ Authorization: 'Basic dXNlcjpwYXNz', accept: 'x', cookie: 'a=b', 'Proxy-Authorization': 'Bearer t' })).toEqual({
      Authorization: REDACTED,
      accept: 'x',
      cookie: REDACTED,
      'Proxy-Authorization': REDACTED,
    });
  });

  it('scrubs Authorization values, URL user-info and token fields from any text', () => {
    expect(redactText('authorization: Basic dXNlcjpwYXNz')).toBe(`authorization: Basic ${REDACTED}`);
    expect(redactText('{"Authorization":"Bearer abc.def.ghi"}')).toBe(`{"Authorization":"Bearer ${REDACTED}"}`);
    expect(redactText('https://user:hunter2@reg.example.com/v2/')).toBe(`https://${REDACTED}@reg.example.com/v2/`);
    expect(redactText('{"token":"abc","access_token":"def"}')).toBe(`{"token":"${REDACTED}","access_token":"${REDACTED}"}`);
    expect(redactText('GET /token?service=x&access_token=abc')).toBe(`GET /token?service=x&access_token=${REDACTED}`);
  });

  it('scrubs registered secrets and their base64 forms', () => {
    registerCredentialSecrets('alice', 's3cr3t-Pa55word!');
    const basic = Buffer.from('alice:s3cr3t-Pa55word!').toString('base64');
    expect(redactText(`password s3cr3t-Pa55word! and auth ${basic}`)).toBe(`password ${REDACTED} and auth ${REDACTED}`);
  });

  it('keeps secrets out of RegistryError message, hint, detail and inspection', () => {
    registerCredentialSecrets('bob', 'topsecret-42');
    const basic = Buffer.from('bob:topsecret-42').toString('base64');
    const error = new RegistryError(`failed with topsecret-42`, { hint: `try ${basic}`, detail: 'Authorization: Basic ' + basic });
    const everything = [error.message, error.hint, error.detail, error.stack, inspect(error), JSON.stringify(error)].join('\n');
    expect(everything).not.toContain('topsecret-42');
    expect(everything).not.toContain(basic);
  });

  it('builds 401 errors that name registry and repository and say to docker login', () => {
    const error = responseError(
      { registry: 'reg.example.com', repository: 'mesh/pilot', what: 'push blob sha256:abc to mesh/pilot' },
      {
        status: 401,
        statusText: 'Unauthorized',
        headers: {},
        body: '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
        attempts: 1,
        sentCredentials: true,
      },
    );
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('reg.example.com');
    expect(error.message).toContain('mesh/pilot');
    expect(error.hint).toContain('docker login reg.example.com');
    expect(error.retryable).toBe(false);
  });
});

describe('short secrets', () => {
  it('are redacted where they stand alone, not inside other words', () => {
    registerCredentialSecrets('u', 'pw1');
    expect(redactText('password pw1, and pw1x stays')).toBe(`password ${REDACTED}, and pw1x stays`);
  });
});
