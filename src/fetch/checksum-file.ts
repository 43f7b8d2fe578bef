/**
 * Published checksum files as Istio's builds write them: `sha256sum` output (`<hex>  <name>`,
 * the name sometimes a full path or `*name`), or a bare hex digest.
 */

/**
 * The sha256 for `fileName` in `text`: the line naming that file, else the only digest in the
 * file; undefined when there is none, or several and none names the file.
 */
export function sha256FromChecksumFile(text: string, fileName: string): string | undefined {
  const entries: Array<{ sha256: string; name?: string }> = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([0-9a-fA-F]{64})(?:\s+\*?(.+?))?\s*$/.exec(line);
    if (match) entries.push({ sha256: match[1]!.toLowerCase(), ...(match[2] !== undefined ? { name: match[2] } : {}) });
  }
  const named = entries.find((entry) => entry.name !== undefined && baseName(entry.name) === fileName);
  if (named) return named.sha256;
  const distinct = new Set(entries.map((entry) => entry.sha256));
  return distinct.size === 1 ? entries[0]!.sha256 : undefined;
}

/** The last segment of a URL path or file path. */
export function baseName(value: string): string {
  const withoutQuery = value.replace(/[?#].*$/, '');
  return withoutQuery.slice(withoutQuery.search(/[^/\\]*$/));
}
