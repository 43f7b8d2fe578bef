/** DSSE's pre-authentication encoding, signing round trips, cosign's manifests and tags, and what tampering does. */
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readAttestations, readSignatures } from '../../../src/sign/cosign-read.js';
import {
  attestationLayer,
  cosignManifest,
  cosignTag,
  DSSE_MEDIA_TYPE,
  isCosignTag,
  SIGNATURE_ANNOTATION,
  signatureLayer,
  simpleSigningPayload,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from '../../../src/sign/cosign-layout.js';
import { IN_TOTO_PAYLOAD_TYPE, openEnvelope, preAuthEncoding, signEnvelope } from '../../../src/sign/dsse.js';
import { makeStatement, SPDX_PREDICATE_TYPE, subjectOf } from '../../../src/sign/in-toto.js';
import { generateSigningKeys, signBytes, verifyBytes, type SigningKey } from '../../../src/sign/signing-key.js';
import { createPrivateKey } from 'node:crypto';

function newKey(): SigningKey {
  const { privateKeyPem } = generateSigningKeys();
  const privateKey = createPrivateKey(privateKeyPem);
  return { file: 'test.key', privateKey, publicKey: createPublicKey(privateKey) };
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('DSSE', () => {
  it('encodes type and payload as the DSSE spec example does', () => {
    expect(preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    expect(preAuthEncoding('t', Buffer.from('é')).toString()).toBe('DSSEv1 1 t 2 é'); // lengths in bytes
  });

  it('opens an envelope with the signer key only, and not once the payload or type changed', () => {
    const key = newKey();
    const envelope = signEnvelope(key, IN_TOTO_PAYLOAD_TYPE, Buffer.from('{"a":1}'));
    expect(openEnvelope(envelope, key.publicKey)?.toString()).toBe('{"a":1}');
    expect(openEnvelope(envelope, newKey().publicKey)).toBeUndefined();
    expect(openEnvelope({ ...envelope, payload: Buffer.from('{"a":2}').toString('base64') }, key.publicKey)).toBeUndefined();
    expect(openEnvelope({ ...envelope, payloadType: 'text/plain' }, key.publicKey)).toBeUndefined();
  });
});

describe('ECDSA P-256 keys', () => {
  it('signs and verifies; another key or other data does not verify', () => {
    const key = newKey();
    const signature = signBytes(key, Buffer.from('data'));
    expect(verifyBytes(key.publicKey, Buffer.from('data'), signature)).toBe(true);
    expect(verifyBytes(key.publicKey, Buffer.from('date'), signature)).toBe(false);
    expect(verifyBytes(newKey().publicKey, Buffer.from('data'), signature)).toBe(false);
    expect(verifyBytes(key.publicKey, Buffer.from('data'), 'not base64 DER')).toBe(false);
  });

  it('writes PEM keys: PKCS#8 private, SPKI public', () => {
    const { privateKeyPem, publicKeyPem } = generateSigningKeys();
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(createPublicKey(publicKeyPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });
});

describe('cosign layout', () => {
  it('names the tags after the digest', () => {
    expect(cosignTag(DIGEST, 'sig')).toBe(`sha256-${'ab'.repeat(32)}.sig`);
    expect(cosignTag(DIGEST, 'att')).toBe(`sha256-${'ab'.repeat(32)}.att`);
    expect(isCosignTag(cosignTag(DIGEST, 'att'))).toBe(true);
    expect(isCosignTag('1.0.0')).toBe(false);
  });

  it('makes a signature manifest whose layer verifies and names the digest; a tampered signature does not', () => {
    const key = newKey();
    const payload = simpleSigningPayload('127.0.0.1:5555/mesh/pilot', DIGEST);
    const layer = signatureLayer(payload, signBytes(key, payload));
    expect(layer.descriptor.mediaType).toBe(SIMPLE_SIGNING_MEDIA_TYPE);
    expect(readSignatures([layer], key.publicKey)).toEqual([{ payload, digest: DIGEST }]);

    const signature = Buffer.from(layer.descriptor.annotations![SIGNATURE_ANNOTATION]!, 'base64');
    signature[signature.length - 1]! ^= 0x01;
    const tampered = { ...layer, descriptor: { ...layer.descriptor, annotations: { [SIGNATURE_ANNOTATION]: signature.toString('base64') } } };
    expect(readSignatures([tampered], key.publicKey)).toEqual([]);

    const subject = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: DIGEST, size: 1234, annotations: { dropped: 'yes' } };
    const manifest = cosignManifest([layer.descriptor], subject, 'sig');
    const parsed = JSON.parse(manifest.bytes.toString()) as { layers: unknown[]; config: { digest: string }; subject: unknown; artifactType: string };
    expect(parsed.layers).toEqual([layer.descriptor]);
    // A referrer of the signed index where the registry has the OCI 1.1 referrers API.
    expect(parsed.subject).toEqual({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: DIGEST, size: 1234 });
    expect(parsed.artifactType).toBe('application/vnd.dev.cosign.artifact.sig.v1+json');
    expect(JSON.parse(manifest.config.bytes.toString())).toEqual({
      architecture: '',
      os: '',
      config: {},
      rootfs: { type: 'layers', diff_ids: [layer.descriptor.digest] },
    });
    expect(parsed.config.digest).toBe(manifest.config.descriptor.digest);
  });

  it('makes attestation layers with their predicate type, read back only when the envelope verifies', () => {
    const key = newKey();
    const statement = Buffer.from(JSON.stringify(makeStatement([subjectOf('repo', DIGEST)], SPDX_PREDICATE_TYPE, { spdxVersion: 'SPDX-2.3' })));
    const layer = attestationLayer(Buffer.from(JSON.stringify(signEnvelope(key, IN_TOTO_PAYLOAD_TYPE, statement))), SPDX_PREDICATE_TYPE);
    expect(layer.descriptor.mediaType).toBe(DSSE_MEDIA_TYPE);
    expect(layer.descriptor.annotations).toEqual({ [SIGNATURE_ANNOTATION]: '', predicateType: SPDX_PREDICATE_TYPE });
    const [read] = readAttestations([layer], key.publicKey);
    expect(read?.predicateType).toBe(SPDX_PREDICATE_TYPE);
    expect(read?.statement.subject).toEqual([{ name: 'repo', digest: { sha256: 'ab'.repeat(32) } }]);
    expect(readAttestations([layer], newKey().publicKey)).toEqual([]);
    // An annotation that disagrees with the signed statement is not believed.
    const relabelled = { ...layer, descriptor: { ...layer.descriptor, annotations: { predicateType: 'https://slsa.dev/provenance/v1' } } };
    expect(readAttestations([relabelled], key.publicKey)).toEqual([]);
  });
});
