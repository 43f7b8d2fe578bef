// Module hooks for tests: every module a process resolves, one `module <url>` line on stderr.
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  process._rawDebug(`module ${result.url}`);
  return result;
}
