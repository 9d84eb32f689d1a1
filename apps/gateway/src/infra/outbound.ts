import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { BlockList, isIP, LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * One policy for every call the gateway makes (peers, presigned URLs, connector, IdP, JWKS):
 * issue 14, findings 1 and 2, ADR 009.
 *
 * - The address is checked after DNS resolution and the connection goes to the address that was
 *   checked (the check runs inside the socket's own `lookup`), so a name that resolves to a public
 *   address once and to 169.254.169.254 the next time (DNS rebinding) gains nothing.
 * - Loopback, private, link-local, carrier-grade NAT, unique-local IPv6, multicast and the cloud
 *   metadata addresses are refused unless a range of OUTBOUND_ALLOWED_CIDRS covers them.
 * - Redirects are never followed here: the caller decides (only the content redirect is, and only
 *   to the peer's content origins).
 * - Response bodies read through this module are bounded.
 */
export class OutboundRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

/** Special-purpose ranges (IANA registries) that a peer must never make us reach. */
const FORBIDDEN_V4 = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
];
const FORBIDDEN_V6 = [
  '::/128', '::1/128', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8',
];

function blockList(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, bits] = cidr.split('/');
    const type = isIP(net) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(net, Number(bits), type);
  }
  return list;
}

/** `a.b.c.d/n` or an IPv6 prefix; the gateway's configuration validates OUTBOUND_ALLOWED_CIDRS with it. */
export function isCidr(value: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value.trim());
  if (!m) return false;
  const family = isIP(m[1]);
  const bits = Number(m[2]);
  return (family === 4 && bits <= 32) || (family === 6 && bits <= 128);
}

/** `::ffff:127.0.0.1` is 127.0.0.1: checked as IPv4 so that the mapping hides nothing. */
function normalise(address: string): { address: string; type: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1], type: 'ipv4' };
  return { address, type: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export interface OutboundPolicyOptions {
  /** Ranges allowed although special-purpose (OUTBOUND_ALLOWED_CIDRS): the local stack and tests allow loopback. */
  allowedCidrs: string[];
  /** Time to establish a connection and to receive the response headers. */
  timeoutMs: number;
  /** Longest silence between two chunks of a response body. */
  idleTimeoutMs: number;
}

export class OutboundPolicy {
  private readonly forbidden = blockList([...FORBIDDEN_V4, ...FORBIDDEN_V6]);
  private readonly allowed: BlockList;
  readonly dispatcher: Agent;

  constructor(readonly options: OutboundPolicyOptions) {
    this.allowed = blockList(options.allowedCidrs);
    this.dispatcher = new Agent({
      connect: { lookup: this.lookup as unknown as LookupFunction, timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.idleTimeoutMs,
      // One socket per request at most for a while: an aborted trickle must not be reused.
      keepAliveTimeout: 4_000,
    });
  }

  /** Whether the gateway may connect to this IP address. */
  allows(address: string): boolean {
    const a = normalise(address);
    if (this.allowed.check(a.address, a.type)) return true;
    return !this.forbidden.check(a.address, a.type);
  }

  /** Scheme and literal addresses; names are checked when they resolve (lookup below). */
  assertUrl(url: string | URL): URL {
    const u = typeof url === 'string' ? new URL(url) : url;
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OutboundRefusedError(`scheme ${u.protocol} is not allowed`);
    if (u.username || u.password) throw new OutboundRefusedError('URLs with credentials are not allowed');
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !this.allows(host)) throw new OutboundRefusedError(`address ${host} is not allowed`);
    return u;
  }

  /**
   * net.connect's lookup: resolve every address, refuse the name when any of them is forbidden
   * (a mixed answer is an attack, not a fallback), and hand the checked addresses to the socket.
   */
  private readonly lookup = (
    hostname: string,
    options: { family?: number; all?: boolean; hints?: number },
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints }, (err, addresses) => {
      if (err) return callback(err, '');
      const refused = addresses.find((a) => !this.allows(a.address));
      if (refused || addresses.length === 0) {
        const e = new OutboundRefusedError(`${hostname} resolves to ${refused?.address ?? 'nothing'}, which is not allowed`) as NodeJS.ErrnoException;
        e.code = 'EOUTBOUNDREFUSED';
        return callback(e, '');
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };

  /**
   * fetch through the policy: never follows a redirect (3xx are returned to the caller), and a
   * refused address surfaces as OutboundRefusedError whatever undici wraps it in.
   */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    this.assertUrl(url);
    try {
      return (await undiciFetch(url, { ...(init as any), redirect: 'manual', dispatcher: this.dispatcher })) as unknown as Response;
    } catch (err) {
      throw refusal(err) ?? err;
    }
  }
}

/** Largest JWKS or OpenID discovery document read. */
export const MAX_METADATA_BYTES = 1024 * 1024;

/** OutboundPolicy.fetch for jose's createRemoteJWKSet (`[customFetch]`): through the policy, body bounded. */
export function boundedFetchFor(policy: OutboundPolicy, limit = MAX_METADATA_BYTES) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    const res = await policy.fetch(url, init);
    const text = await readBounded(res, limit);
    return new Response(text, { status: res.status, headers: res.headers });
  };
}

/** The OutboundRefusedError somewhere in an error's cause chain, if any. */
export function refusal(err: unknown): OutboundRefusedError | undefined {
  for (let e = err as { cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as { cause?: unknown } | undefined, depth++) {
    if (e instanceof OutboundRefusedError) return e;
    if ((e as NodeJS.ErrnoException).code === 'EOUTBOUNDREFUSED') return new OutboundRefusedError((e as Error).message);
  }
  return undefined;
}

export class ResponseTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`response larger than ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** Reads a response body up to `limit` bytes; past it the body is cancelled (the socket goes). */
export async function readBounded(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(limit);
  }
  if (!res.body) return '';
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(limit);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks).toString('utf8');
}

export const OUTBOUND_POLICY = Symbol('OUTBOUND_POLICY');
