/**
 * Artifact downloads in the plan: per platform, a local build the user named, a file next to the
 * targets, or a URL filled from its template (istio.deps, environment) with its checksum. Pure.
 */
import path from 'node:path';
import { usageError } from '../errors.js';
import { ISTIO_DEPS_FILE, TemplateValueMissing, fillTemplate, templateFor, type IstioDeps, type TemplateValues } from '../fetch/artifact-template.js';
import type { FileTarget, Graph } from '../graph/graph.js';
import { formatPlatform, platformDirName, type Platform } from '../platform.js';
import type { PlanRequest } from './plan.js';
import type { FetchJob } from './types.js';

/** `<source>/istio.deps` as the request carries it; when it was not read, every pin is missing. */
export function istioDepsOf(graph: Graph, request: PlanRequest): IstioDeps {
  return request.deps ?? { file: path.join(graph.sourceDir, ISTIO_DEPS_FILE), problem: 'was not read' };
}

export function planFetches(graph: Graph, request: PlanRequest, wanted: Map<FileTarget, Platform[]>): FetchJob[] {
  const jobs: FetchJob[] = [];
  const deps = istioDepsOf(graph, request);
  for (const [target, platforms] of wanted) {
    if (target.kind !== 'artifact') continue;
    const override = request.artifactOverrides?.get(target.name);
    for (const platform of platforms) {
      const fill = (template: string, field: string) => fillArtifactTemplate(template, { platform, env: request.env, deps }, target, field);
      const job: FetchJob = {
        kind: 'fetch',
        id: `fetch:${target.name}:${platformDirName(platform)}`,
        needs: [],
        title: `fetch ${target.name} ${formatPlatform(platform)}`,
        artifact: target.name,
        platform,
        output: path.join(request.outDir, platformDirName(platform), target.fileName),
      };
      if (override !== undefined) {
        // The user's own build: no pinned sha256 applies to it; a tarball is unpacked like the download.
        const local = override.byPlatform.get(formatPlatform(platform)) ?? { problem: `was not resolved for ${formatPlatform(platform)}` };
        if ('problem' in local) {
          throw usageError(`${override.from}: ${local.problem}`, {
            hint: `give a file or folder that exists for each of --platforms, or drop it to download artifact "${target.name}"`,
          });
        }
        job.localPath = local.path;
        job.localPathFrom = override.from;
        if (target.extract !== undefined && /\.(tar\.gz|tgz)$/.test(local.path)) job.extract = target.extract;
      } else if (target.path !== undefined) {
        job.localPath = path.resolve(target.baseDir, fill(target.path, 'path'));
      } else {
        const url = templateFor(target.url!, platform);
        if (url === undefined) {
          throw usageError(`artifact "${target.name}" has no url for ${formatPlatform(platform)}`, {
            location: target.location,
            hint: `add "${formatPlatform(platform)}: <url>" under its url, give a local build (--artifact ${target.name}=PATH), or leave ${formatPlatform(platform)} out of --platforms`,
          });
        }
        job.url = webUrl(fill(url, 'url'), target, 'url');
        const sha256 = target.sha256.get(formatPlatform(platform));
        const sha256Url = target.sha256Url !== undefined ? templateFor(target.sha256Url, platform) : undefined;
        if (sha256 === undefined && sha256Url !== undefined) {
          job.sha256Url = webUrl(fill(sha256Url, 'sha256Url'), target, 'sha256Url');
        } else if (sha256 === undefined) {
          throw usageError(`artifact "${target.name}" has no sha256 for ${formatPlatform(platform)}`, {
            location: target.location,
            hint: `add "${formatPlatform(platform)}: <sha256>" under its sha256, give a local build (--artifact ${target.name}=PATH), or leave ${formatPlatform(platform)} out of --platforms`,
          });
        }
        if (sha256 !== undefined) job.sha256 = sha256;
        if (target.extract !== undefined) job.extract = target.extract;
      }
      jobs.push(job);
    }
  }
  return jobs;
}

/** A filled URL must still be one (a variable may have replaced its start). */
function webUrl(url: string, target: FileTarget, field: string): string {
  if (/^https?:\/\/[^/]/.test(url)) return url;
  throw usageError(`artifact "${target.name}": its ${field} filled in is ${url}, not an http:// or https:// URL`, {
    location: target.location,
    hint: 'check the environment variables its placeholders read',
  });
}

/** Fills an artifact's template; a missing version or variable is exit 2, located at the artifact. */
function fillArtifactTemplate(template: string, values: TemplateValues, target: FileTarget, field: string): string {
  try {
    return fillTemplate(template, values);
  } catch (error) {
    if (!(error instanceof TemplateValueMissing)) throw error;
    throw usageError(`artifact "${target.name}" ${error.reason} (for ${error.placeholder} in its ${field})`, {
      location: target.location,
      hint: `${error.hint}, give a local build (--artifact ${target.name}=PATH), or override the artifact in <source>/meshbuild.yaml`,
    });
  }
}
