import { MIGRATIONS, migrate, openDatabase, type Database } from '@ent/persistence';
import { resolveDnmaConfig, type DnmaConfig, type DnmaConfigInput } from './config';
import { Dnma } from './dnma';
import type { DnmaPageView } from './hit';
import { DnmaMetrics, purgeDnmaHits } from './metrics';
import { DNMA_MIGRATIONS } from './migrations';
import { DnmaDeadLetterReplayer } from './replayer';
import { DnmaSender } from './sender';
import { MatomoSim, rftiProblems } from './testing/matomo-sim';
import { DnmaTracker } from './tracker';
import type { MatomoTransport } from './transport';

jest.setTimeout(60_000);

const TOKEN = 'token-0123456789abcdef';
let db: Database;
let sim: MatomoSim;
let t: Date;
const now = () => t;

function configFor(sim: MatomoSim, over: Partial<DnmaConfigInput> = {}): DnmaConfig {
  return resolveDnmaConfig({
    matomoUrl: sim.url,
    siteId: 1,
    tokenAuth: TOKEN,
    hmacSecret: 'unit-test-hmac-secret-0123456789abcdef',
    exploitant: 'EXPLOITANT_TEST',
    plateforme: 'PLATEFORME_TEST',
    outil: 'PORTABILITE_ENT',
    requestTimeoutMs: 2_000,
    replay: { delaysMs: [10 * 60_000, 20 * 60_000] },
    ...over,
  });
}

function pageView(n: number, pageId = 'contents'): DnmaPageView {
  return {
    pageId,
    url: `https://gw.example.fr/p/${n}`,
    userAgent: 'Mozilla/5.0 test',
    user: { id: `user-${n % 3}`, profiles: ['National_ens'], uais: ['0750001A'] },
    at: new Date(t.getTime() - 1000),
  };
}

beforeAll(async () => {
  db = await openDatabase({});
  await migrate(db, [...MIGRATIONS, ...DNMA_MIGRATIONS]);
  sim = await MatomoSim.start({ tokenAuth: TOKEN });
});

afterAll(async () => {
  await sim?.stop();
  await db?.close();
});

beforeEach(async () => {
  t = new Date('2025-03-10T08:00:00Z');
  sim.reset();
  await sim.setMode('ok');
  await db.query(`UPDATE dnma_hits SET state = 'SENT', sent_at = $1, locked_by = NULL, locked_until = NULL WHERE state NOT IN ('SENT', 'DROPPED')`, [t.toISOString()]);
  await db.query('DELETE FROM dnma_hits');
  await db.query('UPDATE dnma_counters SET value = 0');
});

describe('DNMA_MIGRATIONS', () => {
  it('are prefixed dnma_ and apply once next to the gateway migrations', async () => {
    expect(DNMA_MIGRATIONS.every((m) => m.id.startsWith('dnma_'))).toBe(true);
    expect(await migrate(db, [...MIGRATIONS, ...DNMA_MIGRATIONS])).toEqual([]);
  });

  it('refuse to delete a hit that still waits, and never store token_auth', async () => {
    const tracker = new DnmaTracker(db, configFor(sim), { now });
    const r = await tracker.track(pageView(1));
    expect(r.status).toBe('queued');
    await expect(db.query('DELETE FROM dnma_hits')).rejects.toThrow(/still QUEUED/);
    await expect(
      db.query(`INSERT INTO dnma_hits (state, page_id, query, cdt, created_at, available_at, updated_at) VALUES ('QUEUED', 'x', '?a=1&token_auth=x', 'c', now(), now(), now())`),
    ).rejects.toThrow(/check constraint/);
  });
});

describe('DnmaTracker', () => {
  it('queues the hit with its cdt and history, and records a dropped one with its reason', async () => {
    const tracker = new DnmaTracker(db, configFor(sim), { now });
    const ok = await tracker.track(pageView(1));
    const bad = await tracker.track(pageView(2, 'unknown-page'));
    expect(ok).toMatchObject({ status: 'queued' });
    expect(bad).toMatchObject({ status: 'dropped', reason: { code: 'UNKNOWN_PAGE' } });
    const { rows } = await db.query<Record<string, any>>('SELECT * FROM dnma_hits ORDER BY id');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ state: 'QUEUED', page_id: 'contents', cdt: '2025-03-10 07:59:59', attempts: 0, replays: 0 });
    expect(rows[0].query).toContain('cdt=2025-03-10%2007%3A59%3A59');
    expect(rows[0].history).toEqual([{ at: '2025-03-10T08:00:00.000Z', event: 'QUEUED' }]);
    expect(rows[1]).toMatchObject({ state: 'DROPPED', query: null, drop_reason: expect.stringContaining('UNKNOWN_PAGE') });
    const m = await new DnmaMetrics(db, { now }).snapshot();
    expect(m).toMatchObject({ queued: 1, dropped: 1, sent: 0, totals: { enqueued: 1, dropped: 1 } });
  });

  it('does not throw when the database fails', async () => {
    const broken = { query: async () => Promise.reject(new Error('connection lost')) };
    await expect(new DnmaTracker(broken, configFor(sim), { now }).track(pageView(1))).resolves.toEqual({ status: 'error', error: 'connection lost' });
  });
});

describe('DnmaSender', () => {
  it('sends one hit as a form POST body with token_auth, never in the URL', async () => {
    await new DnmaTracker(db, configFor(sim), { now }).track(pageView(1));
    const r = await new DnmaSender(db, configFor(sim), { now }).runOnce();
    expect(r).toEqual({ claimed: 1, sent: 1, deadLettered: 0, failure: undefined });
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]).toMatchObject({ method: 'POST', url: '/matomo.php', status: 204 });
    expect(sim.requests[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sim.requests[0].body).toContain(`token_auth=${TOKEN}`);
    expect(sim.hits[0]).toMatchObject({ tokenAuth: TOKEN, bulk: false });
    expect(rftiProblems(sim.hits[0].params)).toEqual([]);
    const { rows } = await db.query<Record<string, any>>('SELECT state, attempts, history FROM dnma_hits');
    expect(rows[0]).toMatchObject({ state: 'SENT', attempts: 1 });
    expect(rows[0].history.map((h: { event: string }) => h.event)).toEqual(['QUEUED', 'SENT']);
  });

  it('sends several hits as one bulk request; a hit Matomo reports invalid goes alone to the dead-letter queue', async () => {
    const invalidSim = await MatomoSim.start({ tokenAuth: TOKEN, isInvalid: (p) => p.url === 'https://gw.example.fr/p/2' });
    try {
      const cfg = configFor(invalidSim);
      const tracker = new DnmaTracker(db, cfg, { now });
      for (let i = 1; i <= 4; i++) await tracker.track(pageView(i));
      const r = await new DnmaSender(db, cfg, { now }).runOnce();
      expect(r).toEqual({ claimed: 4, sent: 3, deadLettered: 1, failure: 'MATOMO_INVALID' });
      expect(invalidSim.requests).toHaveLength(1);
      expect(invalidSim.requests[0].headers['content-type']).toBe('application/json');
      const body = JSON.parse(invalidSim.requests[0].body);
      expect(body.token_auth).toBe(TOKEN);
      expect(body.requests).toHaveLength(4);
      expect(body.requests.every((q: string) => q.startsWith('?idsite=1&rec=1&apiv=1&rand=') && !q.includes('token_auth'))).toBe(true);
      const { rows } = await db.query<{ state: string; last_error: string | null }>('SELECT state, last_error FROM dnma_hits ORDER BY id');
      expect(rows.map((x) => x.state)).toEqual(['SENT', 'DEAD', 'SENT', 'SENT']);
      expect(rows[1].last_error).toBe('MATOMO_INVALID');
    } finally {
      await invalidSim.stop();
    }
  });

  it.each([
    ['a 403 (wrong token)', 'HTTP_403'],
    ['a 200 whose JSON says error', 'MATOMO_ERROR'],
    ['a 302', 'HTTP_302'],
  ])('dead-letters the batch on %s', async (label, failure) => {
    const cfg = configFor(sim, label.includes('403') ? { tokenAuth: 'wrong-token-0000' } : {});
    const transport: MatomoTransport | undefined = label.includes('JSON')
      ? async () => ({ status: 200, body: '{"status":"error","message":"boom"}' })
      : label.includes('302')
        ? async () => ({ status: 302, body: '' })
        : undefined;
    const tracker = new DnmaTracker(db, cfg, { now });
    await tracker.track(pageView(1));
    await tracker.track(pageView(2));
    const r = await new DnmaSender(db, cfg, { now, transport }).runOnce();
    expect(r).toEqual({ claimed: 2, sent: 0, deadLettered: 2, failure });
    const { rows } = await db.query<Record<string, any>>('SELECT state, available_at, dead_letters, last_error FROM dnma_hits');
    for (const row of rows) {
      expect(row).toMatchObject({ state: 'DEAD', dead_letters: 1, last_error: failure });
      expect(new Date(row.available_at).toISOString()).toBe('2025-03-10T08:10:00.000Z');
    }
    expect(sim.hits).toHaveLength(0);
  });

  it('start() sends a queued hit at once when the tracker wakes it, and stop() waits', async () => {
    const dnma = new Dnma(db, configFor(sim, { pollIntervalMs: 60_000 }), { now });
    dnma.start();
    try {
      await dnma.track(pageView(7));
      await sim.waitForRequests(1, 5_000);
      for (let i = 0; i < 100 && (await dnma.metrics.snapshot()).sent < 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await dnma.metrics.snapshot()).toMatchObject({ queued: 0, sent: 1, deadLettered: 0, oldestWaitingSeconds: null });
    } finally {
      await dnma.stop();
    }
  });
});

describe('DnmaMetrics and retention', () => {
  it('reports the queues, the totals and the oldest waiting hit', async () => {
    const cfg = configFor(sim);
    const tracker = new DnmaTracker(db, cfg, { now });
    await tracker.track(pageView(1));
    t = new Date(t.getTime() + 90_000);
    await tracker.track(pageView(2));
    await sim.setMode('fail500');
    await new DnmaSender(db, cfg, { now }).runOnce();
    await tracker.track(pageView(3));
    t = new Date(t.getTime() + 30_000);
    const m = await new DnmaMetrics(db, { now }).snapshot();
    expect(m).toEqual({
      queued: 1,
      inFlight: 0,
      deadLettered: 2,
      sent: 0,
      replayed: 0,
      dropped: 0,
      oldestWaitingSeconds: 120,
      totals: { enqueued: 3, sent: 0, deadLettered: 2, replayed: 0, dropped: 0, purged: 0 },
    });
  });

  it('purges sent hits past the retention only', async () => {
    const cfg = configFor(sim);
    const tracker = new DnmaTracker(db, cfg, { now });
    await tracker.track(pageView(1));
    await new DnmaSender(db, cfg, { now }).runOnce();
    await tracker.track(pageView(2));
    t = new Date(t.getTime() + 86_400_000);
    expect(await purgeDnmaHits(db, new Date(t.getTime() - 3_600_000))).toBe(1);
    const { rows } = await db.query<{ state: string }>('SELECT state FROM dnma_hits');
    expect(rows).toEqual([{ state: 'QUEUED' }]);
    expect((await new DnmaMetrics(db, { now }).snapshot()).totals.purged).toBe(1);
  });
});

describe('DnmaDeadLetterReplayer', () => {
  it('replays in batches only what is due', async () => {
    const cfg = configFor(sim, { replay: { delaysMs: [600_000, 1_200_000], batchSize: 2 } });
    const tracker = new DnmaTracker(db, cfg, { now });
    for (let i = 1; i <= 5; i++) await tracker.track(pageView(i));
    await sim.setMode('refuse');
    const sent = await new DnmaSender(db, cfg, { now }).runOnce();
    expect(sent.failure).toBe('NETWORK ECONNREFUSED');
    const replayer = new DnmaDeadLetterReplayer(db, cfg, { now });
    t = new Date(t.getTime() + 599_999);
    expect(await replayer.runOnce()).toEqual({ replayed: 0, batches: 0 });
    t = new Date(t.getTime() + 1);
    expect(await replayer.runOnce()).toEqual({ replayed: 5, batches: 3 });
    const { rows } = await db.query<{ state: string; replays: number }>('SELECT state, replays FROM dnma_hits');
    expect(rows.every((r) => r.state === 'QUEUED' && r.replays === 1)).toBe(true);
  });
});
