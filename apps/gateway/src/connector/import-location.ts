import { entReturnLink } from '../ui/embedding';

/**
 * Where the ENT says an imported content lives (connector import answer `location`, issue 16),
 * kept only when a teacher may be sent there: an absolute http(s) URL without credentials on one of
 * the ENT's own origins (its connector's, its portal's, those allowed to frame the pages).
 * Anything else — another site, `javascript:`, a relative path, a non-string — is dropped.
 */
export function importLocation(candidate: unknown, entOrigins: { connectorUrl: string; returnOrigins: readonly string[] }): string | undefined {
  if (typeof candidate !== 'string') return undefined;
  return entReturnLink(candidate, [new URL(entOrigins.connectorUrl).origin, ...entOrigins.returnOrigins], undefined);
}
