/** in-toto statements: what an attestation says (its predicate) about which artifacts (its subjects, by digest). */

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** What cosign's `--type spdxjson` looks for. */
export const SPDX_PREDICATE_TYPE = 'https://spdx.dev/Document';
/** What cosign's `--type slsaprovenance1` looks for. */
export const SLSA_PROVENANCE_PREDICATE_TYPE = 'https://slsa.dev/provenance/v1';
/** What cosign's `--type slsaprovenance` (and `slsaprovenance02`) looks for. */
export const SLSA_V02_PROVENANCE_PREDICATE_TYPE = 'https://slsa.dev/provenance/v0.2';

export interface StatementSubject {
  name: string;
  digest: { sha256: string };
}

export interface Statement<P = unknown> {
  _type: typeof STATEMENT_TYPE;
  subject: StatementSubject[];
  predicateType: string;
  predicate: P;
}

/** A subject for a `sha256:<hex>` digest. */
export function subjectOf(name: string, digest: string): StatementSubject {
  return { name, digest: { sha256: digest.replace(/^sha256:/, '') } };
}

export function makeStatement<P>(subjects: StatementSubject[], predicateType: string, predicate: P): Statement<P> {
  return { _type: STATEMENT_TYPE, subject: subjects, predicateType, predicate };
}

/** The statement in a DSSE payload, or undefined when it is not one. */
export function parseStatement(payload: Buffer): Statement | undefined {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as Partial<Statement>;
    if (typeof parsed.predicateType !== 'string' || !Array.isArray(parsed.subject)) return undefined;
    return parsed as Statement;
  } catch {
    return undefined;
  }
}
