/** Listing a repository's tags, page by page as the registry's `Link` headers lead. */
import type { RegistryHttp } from './registry-http.js';
import { header } from './registry-error.js';
import { describeJson, parseJsonObject, RegistryJsonError } from './registry-json.js';
import { readBodyText } from './transport.js';

/** Default tags asked for per page. */
export const DEFAULT_TAG_PAGE_SIZE = 1000;
/** A guard against a registry whose `Link` headers go round in circles. */
const MAX_PAGES = 10_000;

/** The `rel="next"` target of an RFC 8288 `Link` header, if any. */
export function parseNextLink(link: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel\s*=\s*"?next"?/i.test(match[2] ?? '')) return match[1];
  }
  return undefined;
}

export interface ListTagsOptions {
  /** Tags per page (`n=`). Default {@link DEFAULT_TAG_PAGE_SIZE}. */
  pageSize?: number;
}

/** Every tag of `repo`, in the registry's order; an unknown repository has none. */
export async function listTags(http: RegistryHttp, repo: string, options: ListTagsOptions = {}): Promise<string[]> {
  const pageSize = options.pageSize ?? DEFAULT_TAG_PAGE_SIZE;
  const tags: string[] = [];
  let next: string | undefined = `/v2/${repo}/tags/list?n=${pageSize}`;
  const seen = new Set<string>();
  while (next !== undefined && seen.size < MAX_PAGES) {
    if (seen.has(next)) break;
    seen.add(next);
    const response = await http.request({
      method: 'GET',
      target: next,
      scopes: [{ repository: repo, actions: ['pull'] }],
      context: { repository: repo, what: `list the tags of ${repo}` },
      expect: [200, 404],
    });
    const text = await readBodyText(response, 16 * 1024 * 1024);
    if (response.status === 404) return tags;
    const source = { registry: http.registry, what: `tag list of ${repo}`, url: http.resolve(next).toString() };
    const page = parseJsonObject(text, source);
    // `"tags": null` is how the distribution registry lists a repository without tags.
    if (page.tags !== undefined && page.tags !== null) {
      if (!Array.isArray(page.tags)) throw new RegistryJsonError(source, `has "tags" as ${describeJson(page.tags)}, not a list`);
      for (const tag of page.tags as unknown[]) {
        if (typeof tag !== 'string') throw new RegistryJsonError(source, `lists a tag that is ${describeJson(tag)}, not a string`);
        tags.push(tag);
      }
    }
    const link = parseNextLink(header(response.headers, 'link'));
    next = link === undefined ? undefined : http.resolve(link).toString();
  }
  return tags;
}
