import type { TransferRow } from './transfer.repository';

/**
 * The one place that decides whether received contents may be imported into the owner's ENT
 * without asking her first (ADR 010). Every path that would start an import (all objects
 * fetched, the owner logs in, an ENT login event) goes through it, so that further conditions
 * (an arrival account that does not exist yet, …) compose here rather than at each call site.
 *
 * - `AUTOMATIC`: the departure proved, with a token of the shared IdP, that she herself asked
 *   for this transfer; or she accepted it here.
 * - `OWNER_MUST_ACCEPT`: the peer alone says so. Nothing is imported; the transfer waits in
 *   AWAITING_ACCEPTANCE until she accepts or refuses on the arrival page.
 */
export type ImportGate = 'AUTOMATIC' | 'OWNER_MUST_ACCEPT';

export function importGate(t: Pick<TransferRow, 'owner_proof' | 'owner_accepted_at'>): ImportGate {
  if (t.owner_accepted_at) return 'AUTOMATIC';
  return t.owner_proof?.status === 'VERIFIED' ? 'AUTOMATIC' : 'OWNER_MUST_ACCEPT';
}
