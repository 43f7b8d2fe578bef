/**
 * Typed reads of YAML values that never throw: each wrong shape becomes a diagnostic pointing at
 * the offending node, and reading goes on so that one run reports every problem.
 */
import type { Diagnostic, SourceLocation } from '../errors.js';
import type { YamlDocument, YamlPath } from './yaml-document.js';

export class FieldReader {
  readonly diagnostics: Diagnostic[] = [];

  constructor(readonly doc: YamlDocument) {}

  at(path: YamlPath, part: 'key' | 'value' = 'value'): SourceLocation {
    return this.doc.locate(path, part);
  }

  report(path: YamlPath, message: string, part: 'key' | 'value' = 'value'): void {
    this.diagnostics.push({ message, location: this.at(path, part) });
  }

  /** A mapping, with any key outside `allowed` reported as unknown (with the allowed ones listed). */
  mapping(value: unknown, path: YamlPath, what: string, allowed?: readonly string[]): Record<string, unknown> | undefined {
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.report(path, `${what} must be a mapping of keys to values`);
      return undefined;
    }
    const record = value as Record<string, unknown>;
    if (allowed) {
      for (const key of Object.keys(record)) {
        if (!allowed.includes(key)) {
          this.report([...path, key], `unknown key "${key}" in ${what} (allowed: ${allowed.join(', ')})`, 'key');
        }
      }
    }
    return record;
  }

  string(record: Record<string, unknown>, key: string, path: YamlPath, what: string, required: true): string | undefined;
  string(record: Record<string, unknown>, key: string, path: YamlPath, what: string, required?: false): string | undefined;
  string(record: Record<string, unknown>, key: string, path: YamlPath, what: string, required = false): string | undefined {
    const value = record[key];
    if (value === undefined || value === null) {
      if (required) this.report(path, `${what} needs "${key}"`, path.length ? 'key' : 'value');
      return undefined;
    }
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value !== 'string' || value.trim() === '') {
      this.report([...path, key], `"${key}" of ${what} must be a non-empty string`);
      return undefined;
    }
    return value;
  }

  boolean(record: Record<string, unknown>, key: string, path: YamlPath, what: string, fallback: boolean): boolean {
    const value = record[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') {
      this.report([...path, key], `"${key}" of ${what} must be true or false`);
      return fallback;
    }
    return value;
  }

  /** A list of strings; a single string is accepted as a one-item list. Items keep their locations. */
  stringList(record: Record<string, unknown>, key: string, path: YamlPath, what: string): Array<{ value: string; location: SourceLocation }> {
    const value = record[key];
    if (value === undefined || value === null) return [];
    const itemPath = [...path, key];
    if (typeof value === 'string') return [{ value, location: this.at(itemPath) }];
    if (!Array.isArray(value)) {
      this.report(itemPath, `"${key}" of ${what} must be a list of strings`);
      return [];
    }
    const result: Array<{ value: string; location: SourceLocation }> = [];
    value.forEach((item, index) => {
      if (typeof item === 'string' && item.trim() !== '') result.push({ value: item, location: this.at([...itemPath, index]) });
      else if (typeof item === 'number') result.push({ value: String(item), location: this.at([...itemPath, index]) });
      else this.report([...itemPath, index], `items of "${key}" in ${what} must be non-empty strings`);
    });
    return result;
  }

  /** A mapping of string keys to scalar values (build args), values stringified. */
  stringMap(record: Record<string, unknown>, key: string, path: YamlPath, what: string): Record<string, string> {
    const mapPath = [...path, key];
    const map = this.mapping(record[key], mapPath, `"${key}" of ${what}`);
    const result: Record<string, string> = {};
    for (const [name, value] of Object.entries(map ?? {})) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') result[name] = String(value);
      else this.report([...mapPath, name], `"${key}.${name}" of ${what} must be a string, number or boolean`);
    }
    return result;
  }
}
