import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import {
  calculateJwkThumbprint,
  CompactSign,
  compactVerify,
  createRemoteJWKSet,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  JWK,
  JWTVerifyGetKey,
} from 'jose';
import type { Database } from '@ent/persistence';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { DATABASE } from '../infra/tokens';

type PrivateKey = Awaited<ReturnType<typeof importJWK>>;

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: PrivateKey;
  publicJwk: JWK;
}

export const MANIFEST_TYP = 'ent-portability-manifest+jws';
export const RECEIPT_TYP = 'ent-portability-receipt+jws';

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
   * Verifies a JWS from a peer against the JWKS that peer publishes; returns the payload.
   * A key id we have not seen makes us fetch the peer's JWKS again once (the peer rotated
   * its keys); only authenticated peers reach this, so it cannot be used to flood them.
   */
  async verifyFromPeer<T>(jws: string, peerJwksUri: string, typ: string): Promise<T> {
    const remote = () => createRemoteJWKSet(new URL(peerJwksUri), { timeoutDuration: this.config.limits.peerTimeoutMs });
    let keySet = this.peerKeySets.get(peerJwksUri);
    if (!keySet) {
      keySet = remote();
      this.peerKeySets.set(peerJwksUri, keySet);
    }
    const algorithms = ['ES256', 'RS256', 'PS256', 'EdDSA'];
    let verified;
    try {
      verified = await compactVerify(jws, keySet, { algorithms });
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      keySet = remote();
      this.peerKeySets.set(peerJwksUri, keySet);
      verified = await compactVerify(jws, keySet, { algorithms });
    }
    const { payload, protectedHeader } = verified;
    if (protectedHeader.typ !== typ) throw new Error(`unexpected JWS typ ${protectedHeader.typ ?? '(none)'}, expected ${typ}`);
    return JSON.parse(new TextDecoder().decode(payload)) as T;
  }
}
