/**
 * Build-arg templates of an image (`args:` in the targets), filled once per run, as Istio's
 * docker-builder passes `proxy_version` (PROXY_REPO_SHA, from istio.deps) and `istio_version`
 * (the version being built). Placeholders: `{version}`, and the `{env:NAME}` / `{deps:NAME}`
 * chains of artifact templates. A chain with no value gives "", as Istio's builder passes an
 * unset variable: the arg is then the Dockerfile's own default-less empty value.
 */
import { fillTemplate, forbiddenTemplateVariables, TemplateValueMissing, type IstioDeps } from '../fetch/artifact-template.js';

const PLACEHOLDER = /\{([^{}]*)\}/g;
const CHAIN = /^(?:env|deps):[A-Za-z_][A-Za-z0-9_-]*(?:\|(?:env|deps):[A-Za-z_][A-Za-z0-9_-]*)*$/;
/** fillTemplate wants a platform; build args are one value for every platform of the build. */
const ANY_PLATFORM = { os: 'linux', architecture: 'amd64' };

export interface ImageArgValues {
  version: string;
  env: Readonly<Record<string, string | undefined>>;
  deps: IstioDeps;
}

/** Why a build-arg template cannot be used (for located diagnostics when reading targets); undefined when fine. */
export function imageArgProblem(template: string): string | undefined {
  const unknown = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((body) => body !== 'version' && !CHAIN.test(body));
  if (unknown.length > 0) return `may hold only {version}, {env:NAME} and {deps:NAME} placeholders (found ${unknown.map((u) => `{${u}}`).join(', ')})`;
  const forbidden = forbiddenTemplateVariables(template);
  if (forbidden.length > 0) return `may not read ${forbidden.join(', ')} (only ISTIO_*, MESHBUILD_* and *_REPO_SHA variables)`;
  return undefined;
}

export function fillImageArg(template: string, values: ImageArgValues): string {
  return template.replace(PLACEHOLDER, (whole, body: string) => {
    if (body === 'version') return values.version;
    try {
      return fillTemplate(whole, { platform: ANY_PLATFORM, env: values.env, deps: values.deps });
    } catch (error) {
      if (error instanceof TemplateValueMissing) return '';
      throw error;
    }
  });
}
