/** `--trace FILE`: records the run's timeline and writes it as a Chrome trace when the run ends, however it ends. */
import { writeFileAtomic } from '../run/atomic-files.js';
import type { Reporter, RunEvent } from '../run/events.js';
import { chromeTrace } from './chrome-trace.js';
import { TimelineRecorder } from './timeline.js';

export class TraceFileWriter implements Reporter {
  private readonly recorder = new TimelineRecorder();

  constructor(private readonly file: string) {}

  onEvent(event: RunEvent): void {
    this.recorder.onEvent(event);
  }

  async close(): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(chromeTrace(this.recorder.timeline()))}\n`);
  }
}
