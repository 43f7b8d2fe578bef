/**
 * `--trace FILE`: writes the run's timeline (recorded by the recorder it is given, which sees the
 * events first) as a Chrome trace when the run ends, however it ends.
 */
import { writeFileAtomic } from '../run/atomic-files.js';
import type { Reporter } from '../run/events.js';
import { chromeTrace } from './chrome-trace.js';
import type { TimelineRecorder } from './timeline.js';

export class TraceFileWriter implements Reporter {
  constructor(
    private readonly file: string,
    private readonly recorder: TimelineRecorder,
  ) {}

  onEvent(): void {}

  async close(): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(chromeTrace(this.recorder.timeline()))}\n`);
  }
}
