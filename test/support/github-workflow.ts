/** docs/github-actions.yml, read as the tests see it: the fields of jobs and steps they look at. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { load } from 'js-yaml';
import { REPO_ROOT } from './cli.js';

export const WORKFLOW = path.join(REPO_ROOT, 'docs', 'github-actions.yml');

export interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
export interface Job {
  steps: Step[];
  needs?: string | string[];
  strategy?: { matrix: unknown };
}
export interface Workflow {
  concurrency: { group: string; 'cancel-in-progress': boolean };
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

export async function readWorkflow(): Promise<Workflow> {
  return load(await readFile(WORKFLOW, 'utf8')) as Workflow;
}
