/**
 * A git remote as the https address registries and GitHub link packages by
 * (`org.opencontainers.image.source`): `git@host:org/repo.git` and `ssh://git@host:22/org/repo`
 * become `https://host/org/repo`. Credentials in a remote URL never reach an image.
 */

/** The https form of `remote`, or undefined for a local path or anything that is not a remote URL. */
export function httpsSourceUrl(remote: string | undefined): string | undefined {
  const value = remote?.trim() ?? '';
  if (value === '') return undefined;
  // scp-like: [user@]host:path (no scheme; a colon before any slash).
  const scp = /^(?:[^@/]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(value);
  if (scp && !/^[a-zA-Z]:[\\/]/.test(value)) return joined('https', scp[1]!, scp[2]!);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!['https', 'http', 'ssh', 'git+ssh', 'ssh+git', 'git'].includes(scheme) || url.hostname === '') return undefined;
  // An ssh port is not the web server's: only http(s) keep theirs.
  const host = scheme === 'http' || scheme === 'https' ? url.host : url.hostname;
  return joined(scheme === 'http' ? 'http' : 'https', host, decodeURIComponent(url.pathname));
}

function joined(scheme: string, host: string, repoPath: string): string | undefined {
  const cleaned = repoPath
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  if (cleaned === '' || /\s/.test(cleaned)) return undefined;
  return `${scheme}://${host.toLowerCase()}/${cleaned}`;
}
