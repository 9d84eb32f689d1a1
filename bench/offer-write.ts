/**
 * `npm run bench:offer-write`: what the arrival writes for one offer of 500 items (the transfer
 * with its history, the items, the two deadline jobs, in one transaction), on a Postgres server,
 * against the same writes as they were before migration 015 (ADR 022) in the same run: a foreign
 * key checked once per item, the history in a statement of its own. Rounds alternate (each side
 * goes first in turn); the first five are warm-up. The "after" side is the gateway's own
 * repository code, loaded from the build; the "before" side is the statements it ran at ec2a778,
 * on a database migrated up to 014.
 * Usage: npm run bench:offer-write (OFFER_WRITE_ITEMS=500, OFFER_WRITE_ROUNDS=80).
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { enqueueJobs, migrate, MIGRATIONS, openDatabase, type Database, type Queryable } from '../libs/persistence/src';
import { createGatewayDatabases } from '../test/support/gateway-db';
import { startThrowawayPostgres } from '../test/support/postgres';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { TransferRepository } = require(join(__dirname, '..', 'apps', 'gateway', 'src', 'transfers', 'transfer.repository.js')) as {
  TransferRepository: new (db: Database) => {
    insertTransfer(tx: Queryable, t: Record<string, unknown>, events: unknown[]): Promise<boolean>;
    insertItems(tx: Queryable, items: Record<string, unknown>[]): Promise<void>;
  };
};

const ITEMS = Number(process.env.OFFER_WRITE_ITEMS ?? 500);
const ROUNDS = Number(process.env.OFFER_WRITE_ROUNDS ?? 80);
const WARM_UP = 5;

interface Written {
  transfer: Record<string, unknown>;
  events: { type: string; from: string | null; to: string | null; data?: Record<string, unknown> }[];
  items: Record<string, unknown>[];
  jobs: Parameters<typeof enqueueJobs>[1];
}

function offerOf(id: string): Written {
  const offer = {
    offerId: id, contractVersion: '1', departure: { entId: 'ent-a', uai: '0750001A' }, arrival: { uai: '0690002B' },
    owner: { identityClaim: 'sub', identity: 'marie.dupont', displayName: 'Marie Dupont' }, expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    items: Array.from({ length: ITEMS }, (_, i) => ({ itemId: `item-${i}`, title: `Séquence ${i} — optique`, category: 'STOCKAGE_PARTAGE', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: 800_000 + i }] })),
  };
  const answer = { offerId: id, items: offer.items.map((i) => ({ itemId: i.itemId, decision: 'IMPORT', sourceFormat: 'binary', targetFormat: 'binary' })) };
  return {
    transfer: {
      id, role: 'ARRIVAL', state: 'ANSWERED', owner_identity: 'marie.dupont', owner_display_name: 'Marie Dupont', departure_ent_id: 'ent-a',
      departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer, offer_digest: 'digest',
      expires_at: new Date(offer.expiresAt), owner_proof: { status: 'ABSENT' }, owner_wait_until: new Date(Date.now() + 3_600_000), answer,
    },
    events: [
      { type: 'TRANSFER_CREATED', from: null, to: 'OFFER_RECEIVED' },
      { type: 'OWNER_PROOF_ABSENT', from: null, to: null, data: {} },
      { type: 'ANSWER_SENT', from: 'OFFER_RECEIVED', to: 'ANSWERED', data: { decisions: Object.fromEntries(answer.items.map((d) => [d.itemId, d.decision])) } },
    ],
    items: offer.items.map((item, position) => ({
      transfer_id: id, role: 'ARRIVAL', item_id: item.itemId, position, title: item.title, category: item.category, state: 'OFFERED',
      decision: 'IMPORT', source_format: 'binary', target_format: 'binary', media_type: 'application/pdf', declared_size: item.formats[0].sizeBytes, metadata_format: null,
    })),
    jobs: [
      { kind: 'expire-arrival', payload: { transferId: id }, options: { key: `expire:${id}`, runAt: new Date(offer.expiresAt) } },
      { kind: 'owner-deadline', payload: { transferId: id }, options: { key: `owner-deadline:${id}`, runAt: new Date(Date.now() + 3_600_000) } },
    ],
  };
}

/** The writes of ec2a778 (before ADR 022): the row, then its history, then the items (foreign key per row), then the jobs. */
async function writeBefore(db: Database, w: Written) {
  await db.transaction(async (tx) => {
    const t = w.transfer as Record<string, any>;
    const now = new Date().toISOString();
    const r = await tx.query(
      `INSERT INTO transfers (id, role, state, owner_identity, owner_display_name, departure_ent_id, departure_uai,
         arrival_ent_id, arrival_uai, offer, offer_digest, answer, expires_at, owner_proof, created_at, updated_at, owner_wait_until)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$15,$16)
       ON CONFLICT (id, role) DO NOTHING`,
      [t.id, t.role, t.state, t.owner_identity, t.owner_display_name, t.departure_ent_id, t.departure_uai, t.arrival_ent_id, t.arrival_uai,
        JSON.stringify(t.offer), t.offer_digest, JSON.stringify(t.answer), t.expires_at.toISOString(), JSON.stringify(t.owner_proof), now, t.owner_wait_until.toISOString()],
    );
    if (r.rowCount === 0) throw new Error('the transfer already existed');
    await tx.query(
      `INSERT INTO transfer_events (transfer_id, role, item_id, type, from_state, to_state, data, at)
       SELECT $1, $2, e.item_id, e.type, e.from_state, e.to_state, e.data, $3
       FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[]) WITH ORDINALITY AS e(item_id, type, from_state, to_state, data, n)
       ORDER BY e.n`,
      [t.id, t.role, now, w.events.map(() => null), w.events.map((e) => e.type), w.events.map((e) => e.from), w.events.map((e) => e.to), w.events.map((e) => JSON.stringify(e.data ?? {}))],
    );
    const column = (k: string) => w.items.map((i) => i[k] ?? null);
    await tx.query(
      `INSERT INTO transfer_items (transfer_id, role, item_id, position, title, category, state, decision,
         source_format, target_format, media_type, declared_size, metadata_format)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],
         $9::text[], $10::text[], $11::text[], $12::bigint[], $13::text[])`,
      ['transfer_id', 'role', 'item_id', 'position', 'title', 'category', 'state', 'decision', 'source_format', 'target_format', 'media_type', 'declared_size', 'metadata_format'].map(column),
    );
    await enqueueJobs(tx, w.jobs);
  });
}

function median(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const pg = await startThrowawayPostgres();
  try {
    const urls = await createGatewayDatabases(pg, ['offer_write_before', 'offer_write_after']);
    const before = await openDatabase({ url: urls.offer_write_before });
    const after = await openDatabase({ url: urls.offer_write_after });
    await migrate(before, MIGRATIONS.filter((m) => m.id < '015'));
    await migrate(after);
    const repo = new TransferRepository(after);
    const writeAfter = (w: Written) => after.transaction(async (tx) => {
      if (!(await repo.insertTransfer(tx, w.transfer, w.events))) throw new Error('the transfer already existed');
      await repo.insertItems(tx, w.items);
      await enqueueJobs(tx, w.jobs);
    });
    const times = { before: [] as number[], after: [] as number[] };
    const sides = [['before', (w: Written) => writeBefore(before, w)], ['after', writeAfter]] as const;
    for (let round = 0; round < ROUNDS + WARM_UP; round++) {
      for (const [name, write] of round % 2 ? [...sides].reverse() : sides) {
        const w = offerOf(randomUUID());
        const t0 = performance.now();
        await write(w);
        if (round >= WARM_UP) times[name].push(performance.now() - t0);
      }
    }
    const [b, a] = [median(times.before), median(times.after)];
    const range = (v: number[]) => `${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)}`;
    console.log(`offer of ${ITEMS} items, what the arrival writes (one transaction, Postgres server), ${ROUNDS} alternated rounds, load ${loadavg()[0].toFixed(2)}`);
    console.log(`  before (foreign key per item, history apart): ${b.toFixed(2)} ms [${range(times.before)}]`);
    console.log(`  after  (migration 015, ADR 022):              ${a.toFixed(2)} ms [${range(times.after)}]`);
    console.log(`  ratio ${(b / a).toFixed(2)}× faster`);
    await before.close();
    await after.close();
  } finally {
    await pg.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
