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

/**
 * ADR 011, composed with the gate above: once the gate lets a transfer through (AUTOMATIC or
 * accepted), may its import run *now*? Every rule that holds an import back adds its reason here:
 * the owner must have appeared (§8.3: she logged into the arrival ENT, or into this gateway), and
 * the ENT must have an account for her (a move spans a summer: the account may not exist yet).
 */
export type ImportHold =
  /** Nobody has seen the owner yet: §8.3 imports when she logs in. */
  | 'OWNER_NOT_SEEN'
  /** She appeared, but the arrival ENT answered that it has no account for her (yet). */
  | 'ACCOUNT_MISSING';

export type ImportDecision = { allowed: true } | { allowed: false; hold: ImportHold };

export function mayImportNow(t: Pick<TransferRow, 'owner_seen_at' | 'state'>): ImportDecision {
  if (!t.owner_seen_at) return { allowed: false, hold: 'OWNER_NOT_SEEN' };
  if (t.state === 'AWAITING_ACCOUNT') return { allowed: false, hold: 'ACCOUNT_MISSING' };
  return { allowed: true };
}
