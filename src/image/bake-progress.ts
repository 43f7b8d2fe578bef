/**
 * Reads `docker buildx bake --progress rawjson` as it comes: a stream of JSON objects, each
 * printed over several lines from a `{` line to a `}` line, between which buildx's own text (the
 * final error, with its Dockerfile excerpt) may stand. With several targets, buildx names each
 * vertex `[<target> <platform> <step>] ...` or `[<target> internal] ...`, which is how a step,
 * and a failed one, is attributed to its image.
 */

export interface BakeVertex {
  target: string;
  /** The vertex name without the target: `[linux/amd64 2/3] COPY app /app`. */
  step: string;
  /** `linux/amd64` when the vertex name carries a platform. */
  platform?: string;
}

export interface BakeStepFailure extends BakeVertex {
  error: string;
}

/** A step's output: stream 1 stdout, 2 stderr; the bytes base64 in the JSON. */
interface RawLog {
  vertex?: string;
  stream?: number;
  data?: string;
}

/** Where a step's output goes, with the step it came from. */
export type BakeLogSink = (vertex: BakeVertex, stream: 'stdout' | 'stderr', text: string) => void;

interface RawVertex {
  digest?: string;
  name?: string;
  started?: string;
  completed?: string;
  error?: string;
}

export class BakeProgress {
  private pending = '';
  private objectLines: string[] | undefined;
  private readonly textLines: string[] = [];
  private readonly seen = new Set<string>();
  private readonly completed = new Set<string>();
  /** Steps by vertex digest, to attribute their output. */
  private readonly named = new Map<string, BakeVertex>();
  private readonly failed = new Map<string, BakeStepFailure>();

  /**
   * @param targets the definition's target names (a bracket word that is none of them is buildx's own)
   * @param onStep called once per vertex as it starts
   * @param onLog called with each chunk a step prints (a RUN's output), when given
   * @param onDone called once per vertex that completes without error, when given
   */
  constructor(
    private readonly targets: ReadonlySet<string>,
    private readonly onStep: (vertex: BakeVertex) => void,
    private readonly onLog?: BakeLogSink,
    private readonly onDone?: (vertex: BakeVertex) => void,
  ) {}

  /** Takes the next chunk of output, whole lines or not. */
  feed(chunk: string): void {
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  /** Buildx's own text (outside the JSON objects): its closing error message and Dockerfile excerpt. */
  text(): string {
    return [...this.textLines, ...(this.pending.trim() ? [this.pending] : [])].join('\n').trim();
  }

  /** The first failed step of each target whose own step failed (a step cancelled because another failed is not one). */
  failures(): Map<string, BakeStepFailure> {
    return this.failed;
  }

  private line(line: string): void {
    if (this.objectLines === undefined) {
      if (line === '{') this.objectLines = [line];
      else this.textLines.push(line);
      return;
    }
    this.objectLines.push(line);
    if (line !== '}') return;
    const text = this.objectLines.join('\n');
    this.objectLines = undefined;
    let object: { vertexes?: RawVertex[]; logs?: RawLog[] };
    try {
      object = JSON.parse(text) as { vertexes?: RawVertex[]; logs?: RawLog[] };
    } catch {
      this.textLines.push(...text.split('\n'));
      return;
    }
    for (const vertex of object.vertexes ?? []) this.vertex(vertex);
    if (this.onLog) for (const log of object.logs ?? []) this.log(log, this.onLog);
  }

  private log(raw: RawLog, sink: BakeLogSink): void {
    const vertex = raw.vertex === undefined ? undefined : this.named.get(raw.vertex);
    if (!vertex || !raw.data) return;
    sink(vertex, raw.stream === 2 ? 'stderr' : 'stdout', Buffer.from(raw.data, 'base64').toString('utf8'));
  }

  private vertex(raw: RawVertex): void {
    const named = this.attribute(raw.name ?? '');
    if (!named) return;
    const key = raw.digest ?? raw.name!;
    if (raw.digest) this.named.set(raw.digest, named);
    if (raw.started && !this.seen.has(key)) {
      this.seen.add(key);
      this.onStep(named);
    }
    if (raw.error && !isCancellation(raw.error) && !this.failed.has(named.target)) this.failed.set(named.target, { ...named, error: raw.error });
    if (raw.completed && !raw.error && !this.completed.has(key)) {
      this.completed.add(key);
      this.onDone?.(named);
    }
  }

  private attribute(name: string): BakeVertex | undefined {
    const match = /^\[([A-Za-z0-9_-]+)(?: ([^\]]*))?\] ?(.*)$/.exec(name);
    if (!match || !this.targets.has(match[1]!)) return undefined;
    const rest = match[2];
    const platform = rest?.split(' ')[0];
    const step = rest !== undefined ? `[${rest}] ${match[3]}` : match[3]!;
    return { target: match[1]!, step, ...(platform && /^[a-z0-9]+\/[a-z0-9]+/.test(platform) ? { platform } : {}) };
  }
}

function isCancellation(error: string): boolean {
  return /context canceled|\bcanceled\b|\bcancelled\b/i.test(error);
}
