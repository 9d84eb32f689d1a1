import type { DecisionReason, ConversionLoss } from '@ent/contract';
import type { EventRow, ItemRow, TransferRow } from './transfer.repository';

export interface ItemView {
  itemId: string;
  title: string;
  category: string;
  state: string;
  decision: string | null;
  sourceFormat: string | null;
  targetFormat: string | null;
  reasons: DecisionReason[];
  losses: ConversionLoss[];
  sizeBytes: number | null;
  sha256: string | null;
  localId: string | null;
  lastError: string | null;
  downloadUrl?: string;
}

export interface TransferView {
  id: string;
  role: string;
  state: string;
  departureEntId: string;
  departureUai: string;
  arrivalEntId: string;
  arrivalUai: string;
  ownerDisplayName: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  items: ItemView[];
  events?: { seq: number; at: string; type: string; itemId: string | null; from: string | null; to: string | null; data: unknown }[];
  hasReceipt: boolean;
  /** What the teacher should know or do, in French (e.g. the arrival ENT is full). */
  notice?: string;
}

const ROLE_NOTICES: Record<string, Record<string, string>> = {
  ARRIVAL: {
    PAUSED: "Votre espace sur l'ENT d'arrivée est plein : libérez de la place, puis relancez l'import. Rien n'est perdu, les contenus reçus sont conservés.",
  },
  DEPARTURE: {
    PAUSED: "L'ENT d'arrivée n'a plus assez de place pour recevoir ce transfert. Vos contenus restent préparés ici : relancez l'envoi quand l'ENT d'arrivée aura libéré de l'espace (avant l'expiration de l'offre).",
  },
};

const NOTICES: Record<string, string> = {
  EXPIRED: "L'offre a expiré avant la fin du transfert : les copies préparées ont été supprimées. Vous pouvez relancer un transfert.",
  FAILED: "Le transfert n'a pas pu aboutir. Le détail de chaque contenu est indiqué ci-dessous.",
  PARTIAL: "Certains contenus n'ont pas pu être importés : ils restent téléchargeables manuellement ou sont signalés ci-dessous.",
};

export function toTransferView(t: TransferRow, items: ItemRow[], events?: EventRow[], downloadBase?: string): TransferView {
  const decisions = new Map((t.answer?.items ?? []).map((d) => [d.itemId, d]));
  const notice = ROLE_NOTICES[t.role]?.[t.state] ?? NOTICES[t.state];
  return {
    id: t.id,
    role: t.role,
    state: t.state,
    departureEntId: t.departure_ent_id,
    departureUai: t.departure_uai,
    arrivalEntId: t.arrival_ent_id,
    arrivalUai: t.arrival_uai,
    ownerDisplayName: t.owner_display_name,
    createdAt: new Date(t.created_at).toISOString(),
    updatedAt: new Date(t.updated_at).toISOString(),
    expiresAt: new Date(t.expires_at).toISOString(),
    hasReceipt: Boolean(t.receipt_jws),
    ...(notice ? { notice } : {}),
    items: items.map((i) => ({
      itemId: i.item_id,
      title: i.title,
      category: i.category,
      state: i.state,
      decision: i.decision,
      sourceFormat: i.source_format,
      targetFormat: i.target_format,
      reasons: decisions.get(i.item_id)?.reasons ?? [],
      losses: decisions.get(i.item_id)?.losses ?? [],
      sizeBytes: i.size_bytes,
      sha256: i.sha256,
      localId: i.local_id,
      lastError: i.last_error,
      ...(downloadBase && i.object_key ? { downloadUrl: `${downloadBase}/${encodeURIComponent(i.item_id)}/download` } : {}),
    })),
    ...(events
      ? {
          events: events.map((e) => ({
            seq: Number(e.seq),
            at: new Date(e.at).toISOString(),
            type: e.type,
            itemId: e.item_id,
            from: e.from_state,
            to: e.to_state,
            data: e.data,
          })),
        }
      : {}),
  };
}
