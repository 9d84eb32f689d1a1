import { Inject, Injectable } from '@nestjs/common';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { Offer, OwnerProofOutcome, OwnerProofReason, PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { GATEWAY_CONFIG, GatewayConfig, PeerEntry } from '../config';
import { IdpClient } from '../identity/idp.client';

/** JWT `typ` of an owner proof: never accepted as a peer access token (`at+jwt`), nor the reverse. */
export const OWNER_PROOF_TYP = 'owner-proof+jwt';
/** "Short-lived": a proof valid for longer than this is refused whatever its signature. */
export const OWNER_PROOF_MAX_LIFETIME_SECONDS = 3600;

/**
 * What the arrival keeps of an offer's owner proof (ADR 010): the verified facts, or why there
 * are none. Never the token itself.
 */
export type OwnerProofRecord =
  | {
      status: 'VERIFIED';
      issuer: string;
      /** The proof's identity claim value: equals the offer's owner.identity. */
      identity: string;
      /** The departure gateway that obtained it (act.sub / client_id): the calling peer. */
      actor: string;
      audience: string;
      jti: string;
      issuedAt: string;
      expiresAt: string;
      verifiedAt: string;
    }
  | { status: 'MISSING'; verifiedAt: string }
  | { status: 'REFUSED'; reason: OwnerProofReason; verifiedAt: string };

/** The part of the record the departure is told in the answer. */
export function proofOutcome(record: OwnerProofRecord): OwnerProofOutcome {
  return record.status === 'REFUSED' ? { status: 'REFUSED', reason: record.reason } : { status: record.status };
}

class Refused extends Error {
  constructor(readonly reason: OwnerProofReason) {
    super(reason);
  }
}

/**
 * Checks an offer's `ownerProof` when the offer arrives (a move can last a summer: the proof is
 * short-lived, so it is checked now and the verified fact is kept with the transfer). Signature
 * against the shared IdP's JWKS, issuer, `typ`, audience = this gateway's public URL, expiry and
 * lifetime, the identity claim equal to the offer's owner, the actor equal to the calling peer's
 * client id. Replay (the same jti on another offer) is checked by the caller inside its
 * transaction. An IdP whose keys cannot be read makes the offer fail with 503 (the departure
 * asks again later), so that an outage never downgrades a valid proof.
 */
@Injectable()
export class OwnerProofVerifier {
  constructor(
    private readonly idp: IdpClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async verify(offer: Offer, peer: PeerEntry): Promise<OwnerProofRecord> {
    const verifiedAt = new Date().toISOString();
    if (!offer.ownerProof) return { status: 'MISSING', verifiedAt };
    try {
      return { ...(await this.check(offer.ownerProof, offer, peer)), verifiedAt };
    } catch (err) {
      if (err instanceof Refused) return { status: 'REFUSED', reason: err.reason, verifiedAt };
      throw err;
    }
  }

  private async check(token: string, offer: Offer, peer: PeerEntry) {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new Refused('MALFORMED');
    }
    if (header.typ !== OWNER_PROOF_TYP) throw new Refused('WRONG_TYPE');
    const keySet = await this.idp.keySet().catch(() => this.unavailable());
    let claims: Record<string, unknown>;
    try {
      const verified = await jwtVerify(token, keySet, {
        issuer: this.config.oidc.issuer,
        audience: this.config.publicUrl,
        typ: OWNER_PROOF_TYP,
        algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        clockTolerance: 5,
      });
      claims = verified.payload as Record<string, unknown>;
    } catch (err) {
      throw new Refused(this.reasonOf(err));
    }
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (exp - iat > OWNER_PROOF_MAX_LIFETIME_SECONDS || iat > Date.now() / 1000 + 5) throw new Refused('TOO_LONG_LIVED');
    if (claims[offer.owner.identityClaim] !== offer.owner.identity) throw new Refused('IDENTITY_MISMATCH');
    const act = claims.act as { sub?: unknown } | undefined;
    const clientId = claims.client_id;
    if (typeof act?.sub !== 'string' || act.sub !== peer.clientId || (clientId !== undefined && clientId !== peer.clientId)) {
      throw new Refused('ACTOR_MISMATCH');
    }
    if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 200) throw new Refused('MALFORMED');
    return {
      status: 'VERIFIED' as const,
      issuer: String(claims.iss),
      identity: offer.owner.identity,
      actor: act.sub,
      audience: this.config.publicUrl,
      jti: claims.jti,
      issuedAt: new Date(iat * 1000).toISOString(),
      expiresAt: new Date(exp * 1000).toISOString(),
    };
  }

  private reasonOf(err: unknown): OwnerProofReason {
    if (err instanceof joseErrors.JWTExpired) return 'EXPIRED';
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      if (err.claim === 'aud') return 'WRONG_AUDIENCE';
      if (err.claim === 'iss') return 'WRONG_ISSUER';
      if (err.claim === 'typ') return 'WRONG_TYPE';
      return 'MALFORMED';
    }
    if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid || err instanceof TypeError) this.unavailable();
    if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JOSEAlgNotAllowed
      || err instanceof joseErrors.JWKSMultipleMatchingKeys) {
      return 'INVALID_SIGNATURE';
    }
    return 'MALFORMED';
  }

  private unavailable(): never {
    throw new ProblemError(503, PROBLEM_TYPES.peerUnavailable, 'Identity provider unavailable',
      'The owner proof cannot be checked now (the IdP keys are unreachable). Nothing was recorded: send the offer again later.');
  }
}
