/**
 * GitHub Actions' workflow commands: `::error file=F,line=L::message` makes an annotation on the
 * file's line (and in the run's summary), `::group::`/`::endgroup::` folds log lines. Detected
 * from the environment the runner sets; the step summary goes to the file $GITHUB_STEP_SUMMARY names.
 */
import path from 'node:path';
import type { MeshbuildError, SourceLocation } from '../errors.js';
import { redactText } from '../registry/redact.js';

export function isGithubActions(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === 'true' || (env.GITHUB_STEP_SUMMARY !== undefined && env.GITHUB_STEP_SUMMARY !== '');
}

/** The workflow commands' escaping: `%`, CR and LF in messages; also `:` and `,` in properties. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export interface Annotation {
  message: string;
  title?: string;
  location?: SourceLocation;
}

/**
 * One `::error` line. A file inside `workspace` is named relative to it, as GitHub needs to attach
 * the annotation to the file of the commit.
 */
export function errorCommand(annotation: Annotation, workspace?: string): string {
  const properties: string[] = [];
  if (annotation.location) {
    const { file, line, column } = annotation.location;
    const absolute = path.resolve(file);
    const relative = workspace !== undefined && !path.relative(workspace, absolute).startsWith('..') ? path.relative(workspace, absolute) : file;
    properties.push(`file=${escapeProperty(relative)}`, `line=${line}`, `col=${column}`);
  }
  if (annotation.title !== undefined) properties.push(`title=${escapeProperty(annotation.title)}`);
  return `::error${properties.length > 0 ? ` ${properties.join(',')}` : ''}::${escapeData(redactText(annotation.message))}\n`;
}

/** The annotations of an error that stopped a command: the error itself and each diagnostic it carries. */
export function annotationsOf(error: MeshbuildError, workspace?: string): string {
  const annotations: Annotation[] = [
    { message: error.hint ? `${error.message}\n${error.hint}` : error.message, ...(error.location ? { location: error.location } : {}) },
    ...error.diagnostics.map((d) => ({ message: d.message, ...(d.location ? { location: d.location } : {}) })),
  ];
  return annotations.map((a) => errorCommand(a, workspace)).join('');
}

/** `lines` folded under `title` in the log. */
export function foldedGroup(title: string, lines: string): string {
  return `::group::${escapeData(title)}\n${lines.endsWith('\n') ? lines : `${lines}\n`}::endgroup::\n`;
}
