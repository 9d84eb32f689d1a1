/**
 * The ENT embeds or deep-links the gateway's pages (issue 15): which origins may frame them
 * (`UI_FRAME_ANCESTORS`) and where « Retour à mon ENT » leads (`ENT_RETURN_URL`, or a `?retour=`
 * whose origin is one the administrator listed). Plain functions: the decisions are unit-tested here,
 * the controller only applies them.
 */

/** Longest `?retour=` considered; anything longer is ignored, not truncated. */
const MAX_RETURN_URL_LENGTH = 2048;

/** An http(s) origin written as such: scheme, host, optional port, nothing else (no wildcard, no CSP keyword). */
function asOrigin(value: string): string | undefined {
  const trimmed = value.trim().replace(/\/$/, '');
  if (!/^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(trimmed)) return undefined;
  try {
    const url = new URL(trimmed);
    return url.origin === trimmed.toLowerCase() || url.origin === trimmed ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** A comma-separated list of origins, validated at start (see config.ts). */
export function parseOriginList(variable: string, raw: string | undefined): { origins: string[]; problems: string[] } {
  const origins: string[] = [];
  const problems: string[] = [];
  for (const entry of (raw ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const origin = asOrigin(entry);
    if (!origin) problems.push(`${variable}: "${entry}" must be an http(s) origin such as https://ent.example.fr (no path, no wildcard)`);
    else if (!origins.includes(origin)) origins.push(origin);
  }
  return { origins, problems };
}

/**
 * Both framing headers say the same thing. With no ENT listed, only this origin may frame the pages
 * (`frame-ancestors 'self'`, `X-Frame-Options: SAMEORIGIN`). With ENT origins listed, CSP names them;
 * X-Frame-Options is left out because it cannot name another origin (ALLOW-FROM is obsolete) and
 * SAMEORIGIN would contradict the CSP in browsers that still read it.
 */
export function frameHeaders(ancestors: readonly string[]): { frameAncestors: string; xFrameOptions?: string } {
  if (ancestors.length === 0) return { frameAncestors: "frame-ancestors 'self'", xFrameOptions: 'SAMEORIGIN' };
  return { frameAncestors: `frame-ancestors 'self' ${ancestors.join(' ')}` };
}

/**
 * The « Retour à mon ENT » link: the `?retour=` candidate when it is an absolute http(s) URL, without
 * credentials, on an allowed origin; otherwise the configured `ENT_RETURN_URL` (or no link). Never an
 * open redirect: the gateway only ever *shows* a link whose origin the administrator listed.
 */
export function entReturnLink(candidate: string | undefined, allowedOrigins: readonly string[], fallback: string | undefined): string | undefined {
  if (typeof candidate !== 'string' || candidate.length > MAX_RETURN_URL_LENGTH) return fallback;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return fallback;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return fallback;
  if (url.username || url.password) return fallback;
  if (!/^https?:\/\//i.test(candidate)) return fallback;
  return allowedOrigins.includes(url.origin) ? url.href : fallback;
}
