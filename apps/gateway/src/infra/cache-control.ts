/**
 * The directives of a Cache-Control header (RFC 9111 §5.2), for the gateway's two caches of
 * another system's answers (a peer's discovery document, the ENT's capabilities): names
 * lower-cased, a value without its quotes, `true` for a directive without a value. The first
 * occurrence of a directive counts.
 */
export function cacheControlDirectives(header: string | null): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const at = part.indexOf('=');
    const name = (at < 0 ? part : part.slice(0, at)).trim();
    if (!name || directives.has(name)) continue;
    directives.set(name, at < 0 ? true : part.slice(at + 1).trim().replace(/^"/, '').replace(/"$/, ''));
  }
  return directives;
}

/** The `max-age` directive in seconds, when it is a plain number of at most `maxDigits` digits. */
export function maxAgeSeconds(directives: Map<string, string | true>, maxDigits: number): number | undefined {
  const value = directives.get('max-age');
  return typeof value === 'string' && new RegExp(`^\\d{1,${maxDigits}}$`).test(value) ? Number(value) : undefined;
}
