/**
 * Credentials never reach the screen, a CI log or a report file: every text meshbuild prints goes
 * through the registry's redaction (known secrets, Authorization values, URL user-info) at the
 * moment it is printed, whatever made the message. Redaction where registry errors are made is
 * the first line; this is the one that catches a message made anywhere else.
 */
import { Writable } from 'node:stream';
import { redactText } from '../registry/redact.js';

/** A stream that writes everything to `target` scrubbed of credentials. */
export class RedactedOutput extends Writable {
  constructor(private readonly target: NodeJS.WritableStream) {
    super({ decodeStrings: false });
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    this.target.write(redactText(text), (error?: Error | null) => done(error));
  }

  /** Resolves once everything written so far has reached the target. */
  flushed(): Promise<void> {
    return new Promise((resolve) => {
      this.write('', () => resolve());
    });
  }
}
