/**
 * YAML parsing that keeps where every node came from, so validation can point into the user's
 * file (`targets/images.yaml:12:5`). Values come from js-yaml's constructor; positions from the
 * same parser events.
 */
import { EVENT_ID, YAMLException, constructFromEvents, parseEvents, type Event } from 'js-yaml';
import type { SourceLocation } from '../errors.js';

export type YamlPath = ReadonlyArray<string | number>;

interface NodePosition {
  offset: number;
  keys?: Map<string, { keyOffset: number; node: NodePosition }>;
  items?: NodePosition[];
}

export interface YamlDocument {
  file: string;
  value: unknown;
  /** Where the value at `path` starts; for a mapping key, `part: 'key'` points at the key itself. */
  locate(path: YamlPath, part?: 'key' | 'value'): SourceLocation;
}

export class YamlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly location: SourceLocation,
  ) {
    super(reason);
  }
}

/** Parses one YAML document; throws YamlSyntaxError (with file:line:column) for bad YAML. */
export function parseYamlDocument(text: string, file: string): YamlDocument {
  let events: Event[];
  let value: unknown;
  try {
    events = parseEvents(text, { filename: file });
    const documents = constructFromEvents(events, { source: text, filename: file });
    if (documents.length > 1) {
      throw new YamlSyntaxError('expected one YAML document, found several (remove the extra ---)', offsetToLocation(text, file, 0));
    }
    value = documents[0] ?? null;
  } catch (error) {
    if (error instanceof YAMLException) {
      const mark = error.mark;
      throw new YamlSyntaxError(error.reason, {
        file,
        line: (mark?.line ?? 0) + 1,
        column: (mark?.column ?? 0) + 1,
      });
    }
    throw error;
  }
  const root = buildPositions(events, text);
  const lineStarts = computeLineStarts(text);
  return {
    file,
    value,
    locate(path, part = 'value') {
      return toLocation(file, lineStarts, findOffset(root, path, part));
    },
  };
}

function buildPositions(events: Event[], text: string): NodePosition {
  const root: NodePosition = { offset: 0 };
  // Each open collection, with the key it is waiting to pair with when it is a mapping.
  const stack: Array<{ node: NodePosition; pendingKey?: { name: string; offset: number } }> = [];
  let documentRoot: NodePosition | undefined;

  const attach = (node: NodePosition, scalarText?: string) => {
    const parent = stack[stack.length - 1];
    if (!parent) {
      documentRoot ??= node;
      return;
    }
    if (parent.node.items) {
      parent.node.items.push(node);
    } else if (parent.node.keys) {
      if (parent.pendingKey === undefined) {
        parent.pendingKey = { name: scalarText ?? '', offset: node.offset };
      } else {
        parent.node.keys.set(parent.pendingKey.name, { keyOffset: parent.pendingKey.offset, node });
        parent.pendingKey = undefined;
      }
    }
  };

  for (const event of events) {
    switch (event.type) {
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const node: NodePosition = event.type === EVENT_ID.MAPPING ? { offset: event.start, keys: new Map() } : { offset: event.start, items: [] };
        attach(node);
        stack.push({ node });
        break;
      }
      case EVENT_ID.SCALAR: {
        const start = event.valueStart;
        // Quoted scalars start at the quote; valueStart points inside it.
        const offset = start > 0 && (text[start - 1] === '"' || text[start - 1] === "'") ? start - 1 : start;
        attach({ offset }, text.slice(event.valueStart, event.valueEnd));
        break;
      }
      case EVENT_ID.ALIAS:
        attach({ offset: event.anchorStart });
        break;
      case EVENT_ID.POP:
        stack.pop();
        break;
      case EVENT_ID.DOCUMENT:
        break;
    }
  }
  return documentRoot ?? root;
}

function findOffset(root: NodePosition, path: YamlPath, part: 'key' | 'value'): number {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (typeof segment === 'number' && node.items) {
      const item = node.items[segment];
      if (!item) return node.offset;
      node = item;
    } else if (node.keys) {
      const entry = node.keys.get(String(segment));
      if (!entry) return node.offset;
      if (last && part === 'key') return entry.keyOffset;
      node = entry.node;
    } else {
      return node.offset;
    }
  }
  return node.offset;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function toLocation(file: string, lineStarts: number[], offset: number): SourceLocation {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return { file, line: low + 1, column: offset - lineStarts[low]! + 1 };
}

function offsetToLocation(text: string, file: string, offset: number): SourceLocation {
  return toLocation(file, computeLineStarts(text), offset);
}
