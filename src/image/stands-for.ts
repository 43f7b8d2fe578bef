/**
 * `standsFor:` on an image of the graph: the registry reference it stands in for, so that a
 * Dockerfile's `FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}` is the graph's own `base`,
 * built in the same run, with no tag written first. The template names build args as `{arg:NAME}`
 * and is filled with the args the consuming Dockerfile's FROM lines see (its global ARG defaults,
 * overridden by the build args it is given), so the two expand alike.
 */
import { expandVariables, splitWords, type Dockerfile } from './dockerfile.js';

const PLACEHOLDER = /\{([^{}]*)\}/g;
const ARG_PLACEHOLDER = /^arg:([A-Za-z_][A-Za-z0-9_]*)$/;

/** Placeholders in a `standsFor` template that are not `{arg:NAME}`; empty when it is well formed. */
export function standsForProblems(template: string): string[] {
  const problems: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) if (!ARG_PLACEHOLDER.test(match[1]!)) problems.push(match[0]);
  if (template.replace(PLACEHOLDER, '').match(/[{}\s]/)) problems.push('an unmatched brace or whitespace');
  return problems;
}

/** The args FROM lines see: global ARGs (before the first FROM) with their defaults, a build arg beating a default. */
export function fromLineArgs(dockerfile: Dockerfile, buildArgs: Readonly<Record<string, string>>): Map<string, string> {
  const args = new Map<string, string>();
  for (const instruction of dockerfile.instructions) {
    if (instruction.keyword === 'FROM') break;
    if (instruction.keyword !== 'ARG') continue;
    for (const word of splitWords(instruction.text)) {
      const [name, ...rest] = word.split('=') as [string, ...string[]];
      const value = buildArgs[name] ?? (rest.length > 0 ? expandVariables(rest.join('='), args) : undefined);
      if (value !== undefined) args.set(name, value);
    }
  }
  return args;
}

/** Fills `{arg:NAME}`; the names it lacks are returned instead. */
export function fillStandsFor(template: string, args: ReadonlyMap<string, string>): { reference: string } | { missing: string[] } {
  const missing: string[] = [];
  const reference = template.replace(PLACEHOLDER, (whole, inner: string) => {
    const name = ARG_PLACEHOLDER.exec(inner)?.[1];
    const value = name !== undefined ? args.get(name) : undefined;
    if (value === undefined || value === '') {
      missing.push(name ?? whole);
      return whole;
    }
    return value;
  });
  return missing.length > 0 ? { missing } : { reference };
}

/**
 * Whether a FROM line of `dockerfile` names the reference `template` describes, written with the
 * same args: `FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}` (or `$NAME`) for
 * `{arg:ISTIO_BASE_REGISTRY}/base:{arg:BASE_VERSION}`. Whatever values the args then take, the two
 * expand alike, so the image that declares the template is a base of this Dockerfile.
 */
export function dockerfileNamesStandIn(dockerfile: Dockerfile, template: string): boolean {
  return dockerfile.instructions.some((instruction) => {
    if (instruction.keyword !== 'FROM') return false;
    const image = splitWords(instruction.text)[0];
    return (
      image !== undefined &&
      image.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced?: string, bare?: string) => `{arg:${braced ?? bare}}`) === template
    );
  });
}
