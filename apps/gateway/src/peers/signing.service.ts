import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import {
  calculateJwkThumbprint,
  CompactSign,
  compactVerify,
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  JWK,
  JWTVerifyGetKey,
} from 'jose';
import { JWS_TYPES, PEER_JWS_ALGORITHMS, PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import type { Database } from '@ent/persistence';
import { GATEWAY_CONFIG, GatewayConfig, PeerEntry } from '../config';
import { DATABASE } from '../infra/tokens';
import { PeerDiscovery } from './peer-discovery';
import { boundedFetchFor, OUTBOUND_POLICY, OutboundPolicy } from '../infra/outbound';

type PrivateKey = Awaited<ReturnType<typeof importJWK>>;

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: PrivateKey;
  publicJwk: JWK;
}

export const MANIFEST_TYP = JWS_TYPES.manifest;
export const RECEIPT_TYP = JWS_TYPES.receipt;

/** The document does not verify: wrong key, altered bytes, algorithm or `typ` not accepted. Final. */
export class InvalidPeerSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPeerSignatureError';
  }
}

const SIGNATURE_FAULTS = [
  joseErrors.JWSSignatureVerificationFailed,
  joseErrors.JWSInvalid,
  joseErrors.JWKSNoMatchingKey,
  joseErrors.JWKSMultipleMatchingKeys,
  joseErrors.JOSEAlgNotAllowed,
  joseErrors.JOSENotSupported,
];

/**
 * Signs delivery manifests and receipts (§3.3.2: integrity, authenticity,
 * non-repudiation). Keys come from SIGNING_JWKS; when none is configured (the
 * embedded default) one ES256 key is generated once and kept in Postgres.
 * The first key signs; all keys are published, so a rotated-out key still
 * verifies old documents.
 */
@Injectable()
export class SigningService implements OnModuleInit {
  private keys: SigningKey[] = [];
  private readonly peerKeySets = new Map<string, JWTVerifyGetKey>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(DATABASE) private readonly db: Database,
    private readonly discovery: PeerDiscovery,
    @Inject(OUTBOUND_POLICY) private readonly outbound: OutboundPolicy,
  ) {}

  async onModuleInit() {
    const jwks = this.config.signingJwks?.keys ?? (await this.storedOrGeneratedKeys());
    this.keys = await Promise.all(
      jwks.map(async (jwk) => {
        const alg = (jwk.alg as string) ?? (jwk.kty === 'EC' ? 'ES256' : 'RS256');
        const { d, p, q, dp, dq, qi, ...pub } = jwk as JWK;
        const kid = (jwk.kid as string) ?? (await calculateJwkThumbprint(pub as JWK));
        return { kid, alg, privateKey: await importJWK(jwk as JWK, alg), publicJwk: { ...pub, kid, alg, use: 'sig' } as JWK };
      }),
    );
  }

  private async storedOrGeneratedKeys(): Promise<Record<string, unknown>[]> {
    const existing = await this.db.query<{ private_jwk: JWK }>('SELECT private_jwk FROM signing_keys ORDER BY created_at');
    if (existing.rows.length) return existing.rows.map((r) => r.private_jwk as Record<string, unknown>);
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const { d, ...pub } = jwk;
    const kid = await calculateJwkThumbprint(pub);
    const full = { ...jwk, kid, alg: 'ES256' };
    await this.db.query('INSERT INTO signing_keys (kid, private_jwk) VALUES ($1, $2) ON CONFLICT DO NOTHING', [kid, JSON.stringify(full)]);
    // Another replica may have won the race: use whatever is stored now.
    const stored = await this.db.query<{ private_jwk: JWK }>('SELECT private_jwk FROM signing_keys ORDER BY created_at');
    return stored.rows.map((r) => r.private_jwk as Record<string, unknown>);
  }

  publicJwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  async sign(payload: object, typ: string): Promise<string> {
    const key = this.keys[0];
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
      .sign(key.privateKey);
  }

  /**
   * Verifies a JWS from a peer against the JWKS its discovery document names; returns the payload.
   * A key id we have not seen makes us read the peer's discovery document and JWKS again once (the
   * peer rotated its keys, or moved them); only authenticated peers reach this, and forced
   * refreshes are spaced, so it cannot be used to flood them.
   * Throws InvalidPeerSignatureError when the document does not verify (final), any other error
   * when the keys could not be obtained (worth trying again).
   */
  async verifyFromPeer<T>(jws: string, peer: PeerEntry, typ: string): Promise<T> {
    const keySetFor = (jwksUri: string, fresh: boolean) => {
      let keySet = this.peerKeySets.get(jwksUri);
      if (!keySet || fresh) {
        keySet = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: this.config.limits.peerTimeoutMs, [customFetch]: boundedFetchFor(this.outbound) });
        this.peerKeySets.set(jwksUri, keySet);
      }
      return keySet;
    };
    const verify = async (fresh: boolean) => {
      const doc = await this.discovery.get(peer, { refresh: fresh });
      return compactVerify(jws, keySetFor(doc.jwksUri, fresh), { algorithms: [...PEER_JWS_ALGORITHMS] });
    };
    let verified;
    try {
      try {
        verified = await verify(false);
      } catch (err) {
        if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
        verified = await verify(true);
      }
    } catch (err) {
      if (SIGNATURE_FAULTS.some((fault) => err instanceof fault)) throw new InvalidPeerSignatureError((err as Error).message);
      throw err;
    }
    const { payload, protectedHeader } = verified;
    if (protectedHeader.typ !== typ) throw new InvalidPeerSignatureError(`unexpected JWS typ ${protectedHeader.typ ?? '(none)'}, expected ${typ}`);
    if (typeof protectedHeader.kid !== 'string') throw new InvalidPeerSignatureError('the JWS protected header has no kid');
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      throw new InvalidPeerSignatureError('the JWS payload is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidPeerSignatureError('the JWS payload is not a JSON object');
    return parsed as T;
  }
}

/**
 * A peer's signed document could not be checked: 400 invalid-signature when it does not verify
 * (final for the sender), 503 peer-unavailable when the sender's keys could not be read (its
 * discovery document or JWKS unreachable: the sender retries with backoff).
 */
export function signatureProblem(err: unknown, what: string, peer: PeerEntry): ProblemError {
  if (err instanceof InvalidPeerSignatureError) {
    return new ProblemError(400, PROBLEM_TYPES.invalidSignature, `Invalid ${what} signature`, `The ${what} does not verify against ${peer.entId}'s published keys: ${err.message}`);
  }
  return new ProblemError(503, PROBLEM_TYPES.peerUnavailable, `Cannot verify the ${what} now`,
    `${peer.entId}'s published signing keys could not be read (${(err as Error).message}); nothing was recorded, send it again later.`);
}
