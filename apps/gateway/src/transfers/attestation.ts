import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { PROBLEM_TYPES, Receipt } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import type { SessionUser } from '../identity/session-user';
import { PeerDiscovery } from '../peers/peer-discovery';
import { PeerRegistry } from '../peers/peer-registry';
import { RECEIPT_TYP, SigningService } from '../peers/signing.service';
import { DepartureService } from './departure.service';

/** One party of the transfer as the attestation names it. */
export interface AttestationParty {
  entId: string;
  uai: string;
  /** The school's name and town, when its ENT publishes them (GATEWAY_SCHOOLS, discovery `schools`). */
  school?: string;
}

export interface AttestationItem {
  itemId: string;
  title: string;
  category: string;
  /** The receipt's status: IMPORTED, AWAITING_MANUAL_DOWNLOAD, FAILED, REFUSED; NOT_IN_RECEIPT when it says nothing of it. */
  outcome: string;
  reason?: string;
  sizeBytes: number | null;
}

/** What an auditor checks: the arrival's signature over the receipt, by which key, over which bytes. */
export interface ReceiptVerification {
  valid: boolean;
  kid?: string;
  alg?: string;
  /** SHA-256 (hex) of the receipt's payload bytes, as signed. */
  payloadSha256: string;
  /** French, when the signature could not be checked or does not verify. */
  problem?: string;
}

/** « Attestation de transfert »: the signed receipt made readable (who, from where to where, when, each item). */
export interface Attestation {
  transferId: string;
  ownerName: string;
  departure: AttestationParty;
  arrival: AttestationParty;
  requestedAt: string;
  receiptIssuedAt: string;
  items: AttestationItem[];
  verification: ReceiptVerification;
}

function decodePart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Builds the attestation from the receipt the departure recorded: the signature is checked again
 * against the arrival's published keys at each reading (a key withdrawn since is said so), and only
 * a verified receipt's statuses are shown as outcomes.
 */
@Injectable()
export class AttestationService {
  private readonly logger = new Logger(AttestationService.name);

  constructor(
    private readonly departure: DepartureService,
    private readonly signing: SigningService,
    private readonly peers: PeerRegistry,
    private readonly discovery: PeerDiscovery,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async attestation(user: SessionUser, transferId: string): Promise<Attestation> {
    const view = await this.departure.view(user, transferId, false);
    const { jws } = await this.departure.receiptOf(user, transferId);
    if (!jws) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Pas encore d’accusé de réception',
        "L'ENT d'arrivée n'a pas encore envoyé son accusé de réception : l'attestation sera disponible ensuite.");
    }
    const [headerPart, payloadPart] = jws.split('.');
    const header = (decodePart(headerPart) ?? {}) as { kid?: unknown; alg?: unknown };
    const verification: ReceiptVerification = {
      valid: false,
      kid: typeof header.kid === 'string' ? header.kid : undefined,
      alg: typeof header.alg === 'string' ? header.alg : undefined,
      payloadSha256: createHash('sha256').update(Buffer.from(payloadPart ?? '', 'base64url')).digest('hex'),
    };
    let receipt: Receipt | undefined;
    const peer = this.peers.byEntId(view.arrivalEntId);
    if (!peer) {
      verification.problem = "L'ENT d'arrivée n'est plus un partenaire de cet ENT : sa signature ne peut plus être vérifiée.";
    } else {
      try {
        receipt = await this.signing.verifyFromPeer<Receipt>(jws, peer, RECEIPT_TYP);
        verification.valid = true;
      } catch (err) {
        this.logger.warn({ transferId, err: (err as Error).message }, 'receipt signature not verified for the attestation');
        verification.problem = "La signature de l'accusé de réception n'a pas pu être vérifiée avec les clés publiées par l'ENT d'arrivée.";
      }
    }
    const statuses = new Map((receipt?.items ?? []).map((r) => [r.itemId, r]));
    return {
      transferId,
      ownerName: view.ownerDisplayName ?? user.displayName,
      departure: { entId: view.departureEntId, uai: view.departureUai, school: this.ownSchool(view.departureUai) },
      arrival: { entId: view.arrivalEntId, uai: view.arrivalUai, school: peer ? await this.peerSchool(peer, view.arrivalUai) : undefined },
      requestedAt: view.createdAt,
      receiptIssuedAt: receipt?.issuedAt ?? view.updatedAt,
      items: view.items.map((i) => ({
        itemId: i.itemId,
        title: i.title,
        category: i.category,
        outcome: statuses.get(i.itemId)?.status ?? 'NOT_IN_RECEIPT',
        reason: statuses.get(i.itemId)?.reason,
        sizeBytes: i.sizeBytes,
      })),
      verification,
    };
  }

  private ownSchool(uai: string): string | undefined {
    const s = this.config.publication.schools.find((x) => x.uai === uai);
    return s?.name ? `${s.name}${s.town ? ` (${s.town})` : ''}` : undefined;
  }

  private async peerSchool(peer: NonNullable<ReturnType<PeerRegistry['byEntId']>>, uai: string): Promise<string | undefined> {
    try {
      const s = (await this.discovery.get(peer)).schools.find((x) => x.uai === uai);
      return s?.name ? `${s.name}${s.town ? ` (${s.town})` : ''}` : undefined;
    } catch {
      return undefined;
    }
  }
}
