/**
 * What the last successful run of each job left: its input fingerprint, its output files (with
 * their digests) and its result, kept under `<out>/.records/` so the next run can tell that a job
 * has nothing to do. Only the holder of the --out lock writes here.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-files.js';

export interface RecordedOutput {
  path: string;
  size: number;
  digest: string;
}

export interface JobRecord {
  fingerprint: string;
  outputs: RecordedOutput[];
  /** What the job returned (JSON data), handed to the jobs that need it when it is skipped. */
  result: unknown;
}

/** Where records live; tests use an in-memory one. */
export interface JobRecordStore {
  read(jobId: string): Promise<JobRecord | undefined>;
  write(jobId: string, record: JobRecord): Promise<void>;
  remove(jobId: string): Promise<void>;
}

export function recordsDir(outDir: string): string {
  return path.join(outDir, '.records');
}

export class FileRecordStore implements JobRecordStore {
  constructor(private readonly dir: string) {}

  private fileOf(jobId: string): string {
    return path.join(this.dir, `${jobId.replace(/[^a-zA-Z0-9._-]/g, '_')}.json`);
  }

  async read(jobId: string): Promise<JobRecord | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.fileOf(jobId), 'utf8')) as Partial<JobRecord>;
      return typeof parsed.fingerprint === 'string' && Array.isArray(parsed.outputs) ? (parsed as JobRecord) : undefined;
    } catch {
      return undefined; // none yet, or cut short: the job runs
    }
  }

  write(jobId: string, record: JobRecord): Promise<void> {
    return writeFileAtomic(this.fileOf(jobId), JSON.stringify(record));
  }

  remove(jobId: string): Promise<void> {
    return rm(this.fileOf(jobId), { force: true });
  }
}
