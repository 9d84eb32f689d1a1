import { Inject, Injectable } from '@nestjs/common';
import { Database, jobsInsert, NewJob, Queryable } from '@ent/persistence';
import { ItemDecision, Offer, OfferAnswer, PROBLEM_TYPES } from '@ent/contract';
import { Clock, CLOCK, ProblemError, processClock } from '@ent/common';
import { DATABASE } from '../infra/tokens';
import type { OwnerProofRecord } from './owner-proof';
import type { AnalysisView } from './views';
import { ItemState, TransferRole } from './states';

export interface TransferRow {
  id: string;
  role: TransferRole;
  state: string;
  owner_identity: string;
  owner_display_name: string | null;
  departure_ent_id: string;
  departure_uai: string;
  arrival_ent_id: string;
  arrival_uai: string;
  offer: Offer;
  offer_digest: string;
  answer: OfferAnswer | null;
  manifest_jws: string | null;
  receipt_jws: string | null;
  owner_seen_at: Date | null;
  /** ADR 010: the verdict on the offer's owner proof (arrival only; null before migration 008). */
  owner_proof: OwnerProofRecord | null;
  /** ADR 010: when the owner accepted contents that came without a valid proof. */
  owner_accepted_at: Date | null;
  expires_at: Date;
  owner_wait_until: Date | null;
  retain_until: Date | null;
  /** ADR 016 (migration 011): the departure's question to the arrival, while it runs as a job. */
  analysis: AnalysisView | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * A transfer without its documents (offer, answer, manifest, receipt): what an item job or an
 * object request reads. Whether the manifest was signed is told, not the manifest itself.
 */
export type TransferHead = Omit<TransferRow, 'offer' | 'answer' | 'manifest_jws' | 'receipt_jws'> & { manifest_signed: boolean };
const HEAD_COLUMNS = 'id, role, state, owner_identity, owner_display_name, departure_ent_id, departure_uai, arrival_ent_id, arrival_uai, offer_digest, owner_seen_at, owner_proof, owner_accepted_at, expires_at, owner_wait_until, retain_until, analysis, created_at, updated_at, manifest_jws IS NOT NULL AS manifest_signed';

/**
 * A transfer as her lists over the API show it (listByOwner): the head, the answer (each item's
 * reasons and losses) and whether a receipt was signed, never the offer, manifest or receipt.
 */
export type ListedTransfer = TransferHead & { answer: OfferAnswer | null; has_receipt: boolean };

/** A line of her home page (summariesByOwner). */
export interface SummaryRow {
  id: string;
  state: string;
  created_at: Date;
  departure_uai: string;
  arrival_uai: string;
  item_count: number;
  awaiting_manual: number;
}

export interface ItemRow {
  transfer_id: string;
  role: TransferRole;
  item_id: string;
  position: number;
  title: string;
  category: string;
  state: ItemState;
  decision: string | null;
  source_format: string | null;
  target_format: string | null;
  media_type: string | null;
  declared_size: number | null;
  metadata_format: string | null;
  size_bytes: number | null;
  sha256: string | null;
  object_key: string | null;
  metadata_size: number | null;
  metadata_sha256: string | null;
  metadata_key: string | null;
  local_id: string | null;
  /** Arrival: where the ENT says the imported content lives (checked: http(s) on the ENT's origins). */
  location: string | null;
  attempts: number;
  last_error: string | null;
  /** ADR 016 counters (migration 011): bytes up after the last finished part, and where the current attempt began. */
  bytes_done: number;
  progress_since: Date | null;
  progress_since_bytes: number;
  progress_at: Date | null;
}

export interface EventRow {
  seq: number;
  transfer_id: string;
  role: TransferRole;
  item_id: string | null;
  type: string;
  from_state: string | null;
  to_state: string | null;
  data: Record<string, unknown> | null;
  at: Date;
}

/** An event to append: what happened, between which states, with what detail. */
export interface NewEvent {
  type: string;
  from: string | null;
  to: string | null;
  itemId?: string | null;
  data?: Record<string, unknown>;
}

/** A new item row: what an offer says about it, before anything moves. */
export type NewItem = Partial<ItemRow> & Pick<ItemRow, 'transfer_id' | 'role' | 'item_id' | 'position' | 'title' | 'category' | 'state'>;
/** An item written with its transfer (`insertTransfer`): its transfer id and role are the row's. */
export type TransferItemInput = Omit<NewItem, 'transfer_id' | 'role'>;

/**
 * Whether an insert failed because the verified owner proof it records was already spent on
 * another offer: a proof's jti is unique among received offers (ADR 010, unique index).
 */
export function isOwnerProofSpent(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === 'transfers_owner_proof_jti_idx';
}

export class StateConflictError extends Error {
  constructor(
    readonly transferId: string,
    readonly expected: string[],
    readonly actual: string | undefined,
  ) {
    super(`transfer ${transferId} is ${actual ?? 'missing'}, expected one of ${expected.join(', ')}`);
  }
}

/** The head of every statement that records transfer events (the history is append-only). */
const INSERT_EVENT = 'INSERT INTO transfer_events (transfer_id, role, item_id, type, from_state, to_state, data, at)';

/** The columns an item is created with, after its transfer id and role (in this order in both inserts). */
const ITEM_COLUMNS = ['item_id', 'position', 'title', 'category', 'state', 'decision', 'source_format', 'target_format', 'media_type', 'declared_size', 'metadata_format'] as const;
const INSERT_ITEMS = `INSERT INTO transfer_items (transfer_id, role, ${ITEM_COLUMNS.join(', ')})`;

/** Events as one JSON parameter for `json_to_recordset`, numbered so that their seq follows the order given. */
function eventsJson(events: NewEvent[]): string {
  return JSON.stringify(events.map((e, n) => ({ n, item_id: e.itemId ?? null, type: e.type, from_state: e.from, to_state: e.to, data: e.data ?? {} })));
}

/**
 * The only place that writes transfers, items and events. State changes are
 * guarded (`WHERE state = ANY(expected)`), so a replayed job or a concurrent
 * replica cannot move a transfer twice, and each one appends its event in the
 * same transaction.
 */
@Injectable()
export class TransferRepository {
  constructor(
    @Inject(DATABASE) readonly db: Database,
    // Domain time (ADR 011); the system's unless a test-only preload shifted it.
    @Inject(CLOCK) readonly clock: Clock = processClock,
  ) {}

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async insertTransfer(
    tx: Queryable,
    t: Omit<TransferRow, 'created_at' | 'updated_at' | 'offer' | 'answer' | 'manifest_jws' | 'receipt_jws' | 'owner_seen_at' | 'owner_proof' | 'owner_accepted_at' | 'owner_wait_until' | 'retain_until' | 'analysis'> & {
      /** The offer, or its JSON as already serialised (for its digest, say): stored as is. */
      offer: Offer | string;
      answer?: OfferAnswer | null;
      owner_proof?: OwnerProofRecord | null;
      owner_wait_until?: Date | null;
    },
    /** The history written with the row (default: TRANSFER_CREATED into `t.state`), in one statement. */
    events: NewEvent[] = [{ type: 'TRANSFER_CREATED', from: null, to: t.state }],
    /** The transfer's items, written by the same statement (their `transfer_id` and `role` are the row's). */
    items: TransferItemInput[] = [],
    /** Jobs the new row implies (outbox), written by the same statement and only when the row is. */
    jobs: NewJob[] = [],
  ): Promise<boolean> {
    // The row, its history, its items and its jobs in one statement (issue 17: a 500-item offer is
    // one round trip, and needs no transaction of its own): the rest is written only when the row
    // was (a replayed offer writes nothing), the events in the order given. The items' parent check
    // (ADR 022) runs at the end of the statement and sees the row it wrote.
    const column = <K extends keyof TransferItemInput>(k: K) => items.map((i) => i[k] ?? null);
    const params: unknown[] = [
      t.id, t.role, t.state, t.owner_identity, t.owner_display_name, t.departure_ent_id, t.departure_uai,
      t.arrival_ent_id, t.arrival_uai, typeof t.offer === 'string' ? t.offer : JSON.stringify(t.offer), t.offer_digest,
      t.answer ? JSON.stringify(t.answer) : null, t.expires_at.toISOString(),
      t.owner_proof ? JSON.stringify(t.owner_proof) : null,
      this.clock.now().toISOString(),
      t.owner_wait_until?.toISOString() ?? null,
      eventsJson(events),
    ];
    const p = (n: number) => `$${params.length + n}`;
    let more = '';
    if (items.length > 0) {
      more += `, i AS (
         ${INSERT_ITEMS}
         SELECT t.id, t.role, u.* FROM t, unnest(${p(1)}::text[], ${p(2)}::int[], ${p(3)}::text[], ${p(4)}::text[], ${p(5)}::text[], ${p(6)}::text[],
           ${p(7)}::text[], ${p(8)}::text[], ${p(9)}::text[], ${p(10)}::bigint[], ${p(11)}::text[]) AS u
       )`;
      params.push(...ITEM_COLUMNS.map(column));
    }
    if (jobs.length > 0) {
      const j = jobsInsert(jobs, params.length + 1, 't');
      more += `, j AS (
         ${j.sql}
       )`;
      params.push(...j.params);
    }
    const r = await tx.query(
      `WITH t AS (
         INSERT INTO transfers (id, role, state, owner_identity, owner_display_name, departure_ent_id, departure_uai,
           arrival_ent_id, arrival_uai, offer, offer_digest, answer, expires_at, owner_proof, created_at, updated_at, owner_wait_until)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$15,$16)
         ON CONFLICT (id, role) DO NOTHING
         RETURNING id, role
       ), e AS (
         ${INSERT_EVENT}
         SELECT t.id, t.role, e.item_id, e.type, e.from_state, e.to_state, e.data, $15::timestamptz
         FROM t, json_to_recordset($17::json) AS e(n int, item_id text, type text, from_state text, to_state text, data jsonb)
         ORDER BY e.n
       )${more}
       SELECT id FROM t`,
      params,
      // Parsed and planned once per connection (ADR 023): one name per shape of the statement.
      { prepare: `ent_insert_transfer${items.length > 0 ? '_items' : ''}${jobs.length > 0 ? '_jobs' : ''}` },
    );
    return r.rowCount > 0;
  }

  /**
   * Inserts the items of an offer in one statement (one array per column, `unnest`ed): a
   * 500-item offer is one round trip, not 500 (#17). (One JSON parameter read by
   * `json_to_recordset` measured no faster: what it saves in Node, Postgres spends parsing.)
   */
  async insertItems(tx: Queryable, items: NewItem[]) {
    if (items.length === 0) return;
    const column = <K extends keyof NewItem>(k: K) => items.map((i) => i[k] ?? null);
    await tx.query(
      `${INSERT_ITEMS}
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],
         $9::text[], $10::text[], $11::text[], $12::bigint[], $13::text[])`,
      [column('transfer_id'), column('role'), ...ITEM_COLUMNS.map(column)],
    );
  }

  async get(q: Queryable, id: string, role: TransferRole, forUpdate = false): Promise<TransferRow | undefined> {
    const r = await q.query<TransferRow>(
      `SELECT * FROM transfers WHERE id = $1 AND role = $2 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [id, role],
    );
    return r.rows[0];
  }

  /**
   * Locks the transfer for the rest of the transaction (as `get(…, true)`) and returns it without
   * its documents: an item job needs its state and owner, not the offer, answer and manifest it
   * would otherwise read and parse at every item (issue 17: ~160 kB for a 500-item transfer).
   */
  async lock(q: Queryable, id: string, role: TransferRole): Promise<TransferHead | undefined> {
    return this.head(q, id, role, true);
  }

  /**
   * The transfer without its documents (see lock). Every job and request made once per item reads
   * this, never the whole row: reading the offer, answer and manifest at every item made a
   * transfer's cost grow with the square of its items.
   */
  async head(q: Queryable, id: string, role: TransferRole, forUpdate = false): Promise<TransferHead | undefined> {
    const r = await q.query<TransferHead>(`SELECT ${HEAD_COLUMNS} FROM transfers WHERE id = $1 AND role = $2${forUpdate ? ' FOR UPDATE' : ''}`, [id, role]);
    return r.rows[0];
  }

  /**
   * What the answer decided for one item (converters, metadata record), read by Postgres out of
   * the stored answer: the import of each item needs its own decision, not the whole answer.
   */
  async answerItem(q: Queryable, id: string, role: TransferRole, itemId: string): Promise<ItemDecision | undefined> {
    const r = await q.query<{ decision: ItemDecision }>(
      `SELECT d AS decision FROM transfers t, json_array_elements(t.answer->'items') d
        WHERE t.id = $1 AND t.role = $2 AND d->>'itemId' = $3
        LIMIT 1`,
      [id, role, itemId],
    );
    return r.rows[0]?.decision;
  }

  /** A transfer of this teacher, or a 404 that does not say whether it exists for someone else. */
  async getOwned(id: string, role: TransferRole, identity: string): Promise<TransferRow> {
    const t = /^[0-9a-f-]{36}$/.test(id) ? await this.get(this.db, id, role) : undefined;
    if (!t || t.owner_identity !== identity) {
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Transfert introuvable', "Ce transfert n'existe pas ou ne vous appartient pas.");
    }
    return t;
  }

  /**
   * Whether any item of the transfer is in one of these states: what an item job asks after its own
   * change ("is it the last one?"), in one index lookup instead of reading every item (issue 17: a
   * 500-item transfer read its items 500 times per phase).
   */
  async anyItemIn(q: Queryable, id: string, role: TransferRole, states: readonly string[]): Promise<boolean> {
    return this.anyItem(q, id, role, 'state = ANY($3::text[])', states);
  }

  /** Whether any item of the transfer is in none of these states. */
  async anyItemOutside(q: Queryable, id: string, role: TransferRole, states: readonly string[]): Promise<boolean> {
    return this.anyItem(q, id, role, 'state <> ALL($3::text[])', states);
  }

  private async anyItem(q: Queryable, id: string, role: TransferRole, condition: string, states: readonly string[]): Promise<boolean> {
    const r = await q.query<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM transfer_items WHERE transfer_id = $1 AND role = $2 AND ${condition}) AS found`,
      [id, role, states],
    );
    return r.rows[0].found;
  }

  async items(q: Queryable, id: string, role: TransferRole): Promise<ItemRow[]> {
    const r = await q.query<ItemRow>(
      'SELECT * FROM transfer_items WHERE transfer_id = $1 AND role = $2 ORDER BY position',
      [id, role],
    );
    return r.rows;
  }

  /**
   * The items of many transfers in one statement, by transfer, each list in its order: a list of
   * her transfers reads them once, not once per transfer.
   */
  async itemsByTransfer(q: Queryable, ids: string[], role: TransferRole): Promise<Map<string, ItemRow[]>> {
    const byTransfer = new Map<string, ItemRow[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return byTransfer;
    const r = await q.query<ItemRow>(
      'SELECT * FROM transfer_items WHERE transfer_id = ANY($1::uuid[]) AND role = $2 ORDER BY transfer_id, position',
      [ids, role],
    );
    for (const row of r.rows) byTransfer.get(row.transfer_id)?.push(row);
    return byTransfer;
  }

  async item(q: Queryable, id: string, role: TransferRole, itemId: string, forUpdate = false): Promise<ItemRow | undefined> {
    const r = await q.query<ItemRow>(
      `SELECT * FROM transfer_items WHERE transfer_id = $1 AND role = $2 AND item_id = $3 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [id, role, itemId],
    );
    return r.rows[0];
  }

  /**
   * Her 200 newest transfers for the API's lists, without the documents a list does not show:
   * the offer, the signed manifest and the receipt of a 500-item transfer weigh some 250 kB, read
   * (and parsed) 200 times per call before.
   */
  async listByOwner(role: TransferRole, identity: string): Promise<ListedTransfer[]> {
    const r = await this.db.query<ListedTransfer>(
      `SELECT ${HEAD_COLUMNS}, answer, receipt_jws IS NOT NULL AS has_receipt
         FROM transfers WHERE role = $1 AND owner_identity = $2 ORDER BY created_at DESC LIMIT 200`,
      [role, identity],
    );
    return r.rows;
  }

  /**
   * Her 200 newest transfers as her home page lists them: a few columns and the count of their
   * items, in one statement. Never the offers, answers and manifests nor the item rows, whose
   * reading grew with everything she ever moved (issue 17).
   */
  async summariesByOwner(role: TransferRole, identity: string): Promise<SummaryRow[]> {
    const r = await this.db.query<SummaryRow>(
      `SELECT t.id, t.state, t.created_at, t.departure_uai, t.arrival_uai,
              count(i.item_id)::int AS item_count,
              (count(i.item_id) FILTER (WHERE i.state = 'AWAITING_MANUAL_DOWNLOAD'))::int AS awaiting_manual
         FROM (SELECT id, role, state, created_at, departure_uai, arrival_uai FROM transfers
                WHERE role = $1 AND owner_identity = $2 ORDER BY created_at DESC LIMIT 200) t
         LEFT JOIN transfer_items i ON i.transfer_id = t.id AND i.role = t.role
        GROUP BY t.id, t.role, t.state, t.created_at, t.departure_uai, t.arrival_uai
        ORDER BY t.created_at DESC`,
      [role, identity],
    );
    return r.rows;
  }

  /**
   * Her transfers that an owner event may move, oldest first: those no login of hers has marked
   * seen yet (when the event is a login), and those waiting for her account. Only their ids, from
   * the owner index: the offers and answers of everything she ever received are not read (and
   * parsed) at every login, and no transfer of hers is out of reach however many she has.
   */
  async waitingForOwner(role: TransferRole, identity: string, login: boolean): Promise<string[]> {
    const r = await this.db.query<{ id: string }>(
      `SELECT id FROM transfers WHERE role = $1 AND owner_identity = $2 AND (($3::boolean AND owner_seen_at IS NULL) OR state = 'AWAITING_ACCOUNT')
        ORDER BY created_at`,
      [role, identity, login],
    );
    return r.rows.map((x) => x.id);
  }

  async events(id: string, role: TransferRole): Promise<EventRow[]> {
    const r = await this.db.query<EventRow>(
      'SELECT * FROM transfer_events WHERE transfer_id = $1 AND role = $2 ORDER BY seq',
      [id, role],
    );
    return r.rows;
  }

  /** Guarded transition of a transfer; throws StateConflictError when it is not in an expected state. */
  async transition(
    tx: Queryable,
    id: string,
    role: TransferRole,
    from: string[],
    to: string,
    eventType: string,
    data: Record<string, unknown> = {},
    set: Partial<Pick<TransferRow, 'answer' | 'manifest_jws' | 'receipt_jws'>> = {},
  ): Promise<TransferRow> {
    // The change and its event in one statement (one round trip less per transition, issue 17).
    const r = await tx.query<TransferRow & { previous: string }>(
      `WITH u AS (
         UPDATE transfers t SET state = $4, updated_at = now(),
                answer = COALESCE($5::json, t.answer),
                manifest_jws = COALESCE($6, t.manifest_jws),
                receipt_jws = COALESCE($7, t.receipt_jws)
         FROM (SELECT state AS previous FROM transfers WHERE id = $1 AND role = $2 FOR UPDATE) p
         WHERE t.id = $1 AND t.role = $2 AND t.state = ANY($3::text[])
         RETURNING t.*, p.previous
       ), e AS (
         ${INSERT_EVENT}
         SELECT $1::uuid, $2::text, NULL, $8::text, u.previous, $4::text, $9::jsonb, $10::timestamptz FROM u
       )
       SELECT * FROM u`,
      [id, role, from, to, set.answer ? JSON.stringify(set.answer) : null, set.manifest_jws ?? null, set.receipt_jws ?? null,
        eventType, JSON.stringify(data), this.clock.now().toISOString()],
    );
    const row = r.rows[0];
    if (!row) {
      const current = await this.get(tx, id, role);
      throw new StateConflictError(id, from, current?.state);
    }
    return row;
  }

  /** Guarded transition of one item, with its event. Returns false when the item was not in an expected state. */
  async transitionItem(
    tx: Queryable,
    id: string,
    role: TransferRole,
    itemId: string,
    from: ItemState[],
    to: ItemState,
    eventType: string,
    set: Partial<Pick<ItemRow, 'size_bytes' | 'sha256' | 'object_key' | 'metadata_size' | 'metadata_sha256' | 'metadata_key' | 'local_id' | 'last_error' | 'decision' | 'source_format' | 'target_format' | 'metadata_format' | 'location'>> = {},
    data: Record<string, unknown> = {},
  ): Promise<boolean> {
    const cols = Object.keys(set) as (keyof typeof set)[];
    const assignments = cols.map((c, i) => `${c} = $${i + 9}`);
    // The change and its event in one statement (one round trip less per transition, issue 17).
    const r = await tx.query<{ previous: string }>(
      `WITH u AS (
         UPDATE transfer_items i SET state = $5, updated_at = now()${assignments.length ? ', ' + assignments.join(', ') : ''}
         FROM (SELECT state AS previous FROM transfer_items WHERE transfer_id = $1 AND role = $2 AND item_id = $3 FOR UPDATE) p
         WHERE i.transfer_id = $1 AND i.role = $2 AND i.item_id = $3 AND i.state = ANY($4::text[])
         RETURNING p.previous
       )
       ${INSERT_EVENT}
       SELECT $1::uuid, $2::text, $3::text, $6::text, u.previous, $5::text, $7::jsonb, $8::timestamptz FROM u
       RETURNING from_state AS previous`,
      [id, role, itemId, from, to, eventType, JSON.stringify(data), this.clock.now().toISOString(), ...cols.map((c) => set[c] ?? null)],
    );
    return r.rowCount > 0;
  }

  /** The owner accepted contents that came without a valid proof (ADR 010); false when already recorded. */
  async markOwnerAccepted(tx: Queryable, id: string): Promise<boolean> {
    const r = await tx.query(
      `UPDATE transfers SET owner_accepted_at = now(), updated_at = now() WHERE id = $1 AND role = 'ARRIVAL' AND owner_accepted_at IS NULL`,
      [id],
    );
    return r.rowCount > 0;
  }

  /** Where the departure's question to the arrival stands (ADR 016); null once answered. */
  async setAnalysis(tx: Queryable, id: string, analysis: AnalysisView | null): Promise<void> {
    await tx.query(`UPDATE transfers SET analysis = $2, updated_at = now() WHERE id = $1 AND role = 'DEPARTURE'`, [id, analysis ? JSON.stringify(analysis) : null]);
  }

  async setRetainUntil(tx: Queryable, id: string, role: TransferRole, at: Date): Promise<void> {
    await tx.query('UPDATE transfers SET retain_until = $3 WHERE id = $1 AND role = $2', [id, role, at.toISOString()]);
  }

  /**
   * Forgets what a transfer carried (cancellation before delivery, erasure by its owner): the
   * items go, the transfer row stays as a tombstone without content (so that a replayed offer or
   * delivery with the same id cannot bring it back), and the append-only events stay as the
   * audit trail (they hold states, sizes and hashes, never titles nor bytes).
   */
  async forget(tx: Queryable, id: string, role: TransferRole): Promise<void> {
    await tx.query('DELETE FROM transfer_items WHERE transfer_id = $1 AND role = $2', [id, role]);
    await tx.query(
      `UPDATE transfers SET offer = '{}'::json, answer = NULL, manifest_jws = NULL, owner_display_name = NULL, updated_at = now()
       WHERE id = $1 AND role = $2`,
      [id, role],
    );
  }

  /** A departure draft she deleted (ADR 016): its items and row go; the append-only events stay. */
  async remove(tx: Queryable, id: string, role: TransferRole): Promise<void> {
    await tx.query('DELETE FROM transfer_items WHERE transfer_id = $1 AND role = $2', [id, role]);
    await tx.query('DELETE FROM transfers WHERE id = $1 AND role = $2', [id, role]);
  }

  async markOwnerSeen(tx: Queryable, id: string): Promise<boolean> {
    const r = await tx.query(
      `UPDATE transfers SET owner_seen_at = $2, updated_at = now() WHERE id = $1 AND role = 'ARRIVAL' AND owner_seen_at IS NULL`,
      [id, this.clock.now().toISOString()],
    );
    return r.rowCount > 0;
  }

  async appendEvent(
    tx: Queryable,
    id: string,
    role: TransferRole,
    itemId: string | null,
    type: string,
    from: string | null,
    to: string | null,
    data: Record<string, unknown>,
  ) {
    await tx.query(
      `${INSERT_EVENT}
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
      [id, role, itemId, type, from, to, JSON.stringify(data), this.clock.now().toISOString()],
    );
  }
}
