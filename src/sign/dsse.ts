/**
 * DSSE envelopes (the signed wrapper of in-toto attestations): the signature covers the
 * pre-authentication encoding of the payload type and the payload, never the JSON around them.
 */
import type { KeyObject } from 'node:crypto';
import { signBytes, verifyBytes, type SigningKey } from './signing-key.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseEnvelope {
  payloadType: string;
  /** base64 */
  payload: string;
  signatures: Array<{ keyid: string; sig: string }>;
}

/** `DSSEv1 <len(type)> <type> <len(body)> <body>`, lengths in ASCII decimal bytes. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

export function signEnvelope(key: SigningKey, payloadType: string, payload: Uint8Array): DsseEnvelope {
  return {
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures: [{ keyid: '', sig: signBytes(key, preAuthEncoding(payloadType, payload)) }],
  };
}

/** The payload when one of the envelope's signatures verifies with `publicKey`, else undefined. */
export function openEnvelope(envelope: DsseEnvelope, publicKey: KeyObject): Buffer | undefined {
  if (typeof envelope.payload !== 'string' || typeof envelope.payloadType !== 'string' || !Array.isArray(envelope.signatures)) return undefined;
  const payload = Buffer.from(envelope.payload, 'base64');
  const signed = preAuthEncoding(envelope.payloadType, payload);
  return envelope.signatures.some((s) => typeof s.sig === 'string' && verifyBytes(publicKey, signed, s.sig)) ? payload : undefined;
}
