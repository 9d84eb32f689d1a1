import { compactVerify, createLocalJWKSet, decodeProtectedHeader, JSONWebKeySet } from 'jose';
import { PublishedContract } from './contract';
import { http, HttpResult } from './http';
import { Results } from './results';

export const JWS_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'];
export const MANIFEST_TYP = 'ent-portability-manifest+jws';
export const RECEIPT_TYP = 'ent-portability-receipt+jws';
export const problemType = (name: string) => `urn:ent-portability:problem:${name}`;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/** The run cannot go on (the target's discovery document is unusable, no offer came…). */
export class PlanAborted extends Error {
  override name = 'PlanAborted';
}

export interface PeerDiscovery {
  entId: string;
  uais: string[];
  audience: string;
  jwksUri: string;
  endpoints: { capabilities: string; offers: string; deliveries: string; receipt?: string; itemContent?: string };
  contentOrigins?: string[];
}

export function discoveryUrlOf(target: string): string {
  return /\/\.well-known\/ent-portability\/?$/.test(target) ? target : `${target.replace(/\/+$/, '')}/.well-known/ent-portability`;
}

/** Reads and checks a peer's discovery document (rule `id`); aborts the run when it is unusable. */
export async function readDiscovery(target: string, contract: PublishedContract, results: Results, id: string, endpoints: string[]): Promise<PeerDiscovery> {
  const url = discoveryUrlOf(target);
  const res = await http(url);
  const d = res.json;
  const problems = res.status !== 200 ? [`answered ${res.status}`] : [
    ...contract.validate('peer', 'DiscoveryDocument', d),
    ...(Array.isArray(d?.contractVersions) && d.contractVersions.includes('1') ? [] : ['contractVersions does not contain "1"']),
    ...['entId', 'audience', 'jwksUri'].filter((k) => typeof d?.[k] !== 'string').map((k) => `${k} is missing`),
    ...(Array.isArray(d?.uais) && d.uais.length ? [] : ['uais is empty']),
    ...endpoints.filter((k) => !isUrl(d?.endpoints?.[k])).map((k) => `endpoints.${k} is not an absolute URL`),
    ...(typeof d?.endpoints?.deliveries === 'string' && !d.endpoints.deliveries.includes('{offerId}') ? ['endpoints.deliveries has no {offerId}'] : []),
    ...(typeof d?.endpoints?.receipt === 'string' && !d.endpoints.receipt.includes('{transferId}') ? ['endpoints.receipt has no {transferId}'] : []),
    ...(isUrl(d?.jwksUri) ? [] : ['jwksUri is not an absolute URL']),
  ];
  results.check(id, problems.length === 0, problems.length ? `discovery document at ${url}: ${problems.join('; ')}` : `discovery document at ${url} conforms`, [res.exchange]);
  if (problems.length) throw new PlanAborted('the target\'s discovery document is unusable: nothing else can be checked');
  return d as PeerDiscovery;
}

/** Reads and checks a peer's JWKS (rule `id`): public keys only, each with a kid. */
export async function readJwks(jwksUri: string, results: Results, id: string): Promise<JSONWebKeySet | undefined> {
  const res = await http(jwksUri);
  const keys: unknown[] = Array.isArray(res.json?.keys) ? res.json.keys : [];
  const problems = res.status !== 200 ? [`answered ${res.status}`] : [
    ...(keys.length ? [] : ['no key']),
    ...keys.filter((k) => typeof (k as { kid?: unknown }).kid !== 'string').map(() => 'a key without kid'),
    ...keys.filter((k) => PRIVATE_JWK_MEMBERS.some((m) => m in (k as object))).map((k) => `key ${(k as { kid?: string }).kid} carries private members`),
  ];
  results.check(id, problems.length === 0, problems.length ? `JWKS at ${jwksUri}: ${problems.join('; ')}` : `JWKS at ${jwksUri}: ${keys.length} public key(s)`, [res.exchange]);
  return problems.length ? undefined : (res.json as JSONWebKeySet);
}

/**
 * The answer is the expected problem (rule `id`); when it is an error at all, whether it is a
 * well-formed problem+json is recorded under `shapeId` (ARR-13 / DEP-17).
 */
export function expectProblem(results: Results, shapeId: string, id: string, res: HttpResult, status: number, type: string, what: string): boolean {
  const contentType = res.headers.get('content-type') ?? '';
  const p = res.json;
  const wellFormed = contentType.startsWith('application/problem+json') && typeof p?.type === 'string' && typeof p?.title === 'string' && p?.status === res.status;
  if (res.status >= 400) {
    results.check(shapeId, wellFormed, wellFormed ? `${what}: ${res.status} application/problem+json` : `${what}: ${res.status} is not a well-formed problem+json (content-type ${contentType || 'none'}${p ? `, status ${p.status}` : ''})`, [res.exchange]);
  }
  const ok = res.status === status && p?.type === type && contentType.startsWith('application/problem+json');
  results.check(id, ok, ok ? `${what}: ${status} ${type}` : `${what}: expected ${status} ${type}, got ${res.status} ${typeof p?.type === 'string' ? p.type : '(no problem type)'}`, [res.exchange]);
  return ok;
}

export function isUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value.replace(/\{[A-Za-z]+\}/g, 'x'));
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Verifies a peer's compact JWS (manifest or receipt) as the contract requires: the `typ` of
 * the document, an accepted `alg`, a `kid` of the peer's published JWKS, a valid signature.
 */
export async function verifyPeerJws(jws: string, jwks: JSONWebKeySet | undefined, typ: string): Promise<{ header: Record<string, unknown>; payload?: any; problems: string[] }> {
  const problems: string[] = [];
  let header: Record<string, unknown> = {};
  try {
    header = decodeProtectedHeader(jws) as Record<string, unknown>;
  } catch {
    problems.push('not a compact JWS');
  }
  if (header.typ !== typ) problems.push(`typ is ${String(header.typ)}, expected ${typ}`);
  if (!JWS_ALGORITHMS.includes(String(header.alg))) problems.push(`alg ${String(header.alg)} is not accepted`);
  if (!jwks?.keys.some((k) => k.kid === header.kid)) problems.push(`kid ${String(header.kid)} is not in the peer's published JWKS`);
  if (problems.length || !jwks) return { header, problems };
  try {
    const verified = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: JWS_ALGORITHMS });
    return { header, payload: JSON.parse(Buffer.from(verified.payload).toString('utf8')), problems };
  } catch (err) {
    return { header, problems: [`signature does not verify: ${(err as Error).message}`] };
  }
}
