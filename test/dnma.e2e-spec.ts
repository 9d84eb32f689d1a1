import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, migrate, openDatabase, type Database } from '@ent/persistence';
import {
  DNMA_MIGRATIONS,
  DnmaDeadLetterReplayer,
  DnmaMetrics,
  DnmaSender,
  DnmaTracker,
  GATEWAY_PLAN_DE_MARQUAGE,
  MatomoSim,
  resolveDnmaConfig,
  rftiProblems,
  type DnmaConfig,
  type DnmaConfigInput,
  type DnmaPageView,
  type MatomoSimMode,
} from '../libs/dnma/src';
import { startThrowawayPostgres, type ThrowawayPostgres } from './support/postgres';

// ARCHITECTURE §8 / RFTI §3-4: server-side Matomo hits through a main queue and a dead-letter
// queue in Postgres. Time is simulated (injected clock); Matomo is a local simulator.
jest.setTimeout(180_000);

const TOKEN = 'e2e-token-auth-0123456789abcdef';
const T0 = new Date('2025-03-10T08:00:00Z');
const MIN = 60_000;

function dnmaConfig(sim: MatomoSim, over: Partial<DnmaConfigInput> = {}): DnmaConfig {
  return resolveDnmaConfig({
    matomoUrl: sim.url,
    siteId: 42,
    tokenAuth: TOKEN,
    hmacSecret: 'e2e-hmac-secret-0123456789-abcdefghij',
    exploitant: 'EXPLOITANT_TEST',
    plateforme: 'PLATEFORME_TEST',
    outil: 'PORTABILITE_ENT',
    requestTimeoutMs: 300,
    batchSize: 10,
    // The RFTI's delays, unshortened: the clock is simulated.
    replay: { delaysMs: [10 * MIN, 20 * MIN], growthFactor: 2, maxDelayMs: 6 * 60 * MIN },
    ...over,
  });
}

const TEACHERS = [
  { id: 'sub-marie-0001', profiles: ['National_ens'], uais: ['0750001A'], email: 'marie.dupont@ac-paris.fr', displayName: 'Marie Dupont' },
  { id: 'sub-paul-0002', profiles: ['National_ens', 'National_doc'], uais: ['0690002b', '0750001A'], displayName: 'Paul Martin' },
  { id: 'sub-claire-0003', profiles: ['National_dir'], uais: ['0750001A'], displayName: 'Claire Bernard' },
];

function view(n: number, at: Date, pageId = 'contents'): DnmaPageView {
  return {
    pageId,
    url: `https://gw.ent-a.example.fr/ui/${pageId}/${n}`,
    referrer: 'https://gw.ent-a.example.fr/ui/home',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    user: TEACHERS[n % TEACHERS.length],
    at,
  };
}

const cdtOf = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

function expectTokenOnlyInBodies(sim: MatomoSim) {
  expect(sim.requests.length).toBeGreaterThan(0);
  for (const r of sim.requests) {
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/matomo.php');
    expect(r.url).not.toContain('token_auth');
    expect(r.url).not.toContain(TOKEN);
    expect(r.body).toContain(TOKEN);
  }
  for (const h of sim.hits) expect(h.tokenAuth).toBe(TOKEN);
}

async function freshPglite(dir?: string): Promise<Database> {
  const db = await openDatabase({ pgliteDir: dir });
  await migrate(db, [...MIGRATIONS, ...DNMA_MIGRATIONS]);
  return db;
}

describe('DNMA on PGlite with a simulated clock', () => {
  let sim: MatomoSim;

  beforeEach(async () => {
    sim = await MatomoSim.start({ tokenAuth: TOKEN });
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('every tagged page produces exactly one valid hit with all the mandatory dimensions', async () => {
    const db = await freshPglite();
    try {
      let t = T0;
      const now = () => t;
      const config = dnmaConfig(sim);
      const tracker = new DnmaTracker(db, config, { now });
      const pages = Object.keys(GATEWAY_PLAN_DE_MARQUAGE);
      for (const [i, pageId] of pages.entries()) {
        t = new Date(T0.getTime() + i * 1000);
        expect(await tracker.track(view(i, t, pageId))).toMatchObject({ status: 'queued' });
      }
      expect(await new DnmaSender(db, config, { now }).drain()).toMatchObject({ claimed: pages.length, sent: pages.length, deadLettered: 0 });

      expect(sim.hits).toHaveLength(pages.length);
      for (const [i, pageId] of pages.entries()) {
        const received = sim.hits.filter((h) => h.params.url === `https://gw.ent-a.example.fr/ui/${pageId}/${i}`);
        expect(received).toHaveLength(1);
        const p = received[0].params;
        expect(rftiProblems(p)).toEqual([]);
        const entry = GATEWAY_PLAN_DE_MARQUAGE[pageId];
        expect(p).toMatchObject({
          idsite: '42',
          rec: '1',
          apiv: '1',
          dimension3: 'EXPLOITANT_TEST',
          dimension4: 'PLATEFORME_TEST',
          dimension6: 'PORTABILITE_ENT',
          dimension7: 'NATIF',
          dimension8: entry.service,
          dimension9: entry.module,
          dimension10: entry.rubrique,
          dimension11: 'WEB-PWA',
          action_name: entry.actionName,
          cdt: cdtOf(new Date(T0.getTime() + i * 1000)),
          url_ref: 'https://gw.ent-a.example.fr/ui/home',
        });
        const teacher = TEACHERS[i % TEACHERS.length];
        expect(p.dimension1).toBe(teacher.uais.map((u) => u.toUpperCase()).join(','));
        expect(p.dimension2).toBe(teacher.id === 'sub-claire-0003' ? 'ADMIN_VIE_SCOL_TECH' : 'ENSEIGNANT');
        // pseudonymised: neither the id, nor a name, nor an e-mail anywhere in the hit
        const all = JSON.stringify(p).toLowerCase();
        for (const leak of [teacher.id, 'marie', 'dupont', 'paul', 'martin', 'claire', 'bernard', '@ac-paris']) expect(all).not.toContain(leak);
        expect(p.uid).toMatch(/^[0-9a-f]{64}$/);
      }
      expectTokenOnlyInBodies(sim);
    } finally {
      await db.close();
    }
  });

  it('with Matomo down for 25 simulated minutes, every hit arrives once, after the 10- and 20-minute replays, with its original cdt', async () => {
    const db = await freshPglite();
    try {
      let t = T0;
      const now = () => t;
      const config = dnmaConfig(sim);
      const tracker = new DnmaTracker(db, config, { now });
      const sender = new DnmaSender(db, config, { now, workerId: 'sender-1' });
      const replayer = new DnmaDeadLetterReplayer(db, config, { now, workerId: 'replayer-1' });
      const metrics = new DnmaMetrics(db, { now });

      // Matomo: 500 for 10 minutes, then refuses connections, then hangs; back at minute 25.
      const modeAt = (m: number): MatomoSimMode => (m < 10 ? 'fail500' : m < 18 ? 'refuse' : m < 25 ? 'timeout' : 'ok');
      // Page views at minutes 0 to 4 (two a minute), and one during the hang (minute 19).
      const schedule = new Map<number, number[]>([[0, [0, 1]], [1, [2, 3]], [2, [4, 5]], [3, [6, 7]], [4, [8, 9]], [19, [10]]]);
      const viewedAt = new Map<string, Date>();
      const firstSeenMinute = new Map<string, number>();

      for (let m = 0; m <= 45; m++) {
        t = new Date(T0.getTime() + m * MIN);
        if (sim.mode !== modeAt(m)) await sim.setMode(modeAt(m));
        for (const n of schedule.get(m) ?? []) {
          const at = new Date(t.getTime() + 5_000 * (n % 2)); // a few seconds into the minute
          const pv = view(n, at);
          viewedAt.set(pv.url, at);
          expect(await tracker.track(pv)).toMatchObject({ status: 'queued' });
        }
        // The workers' work of that minute: send, replay what is due, send again.
        await sender.drain();
        await replayer.runOnce();
        await sender.drain();
        for (const h of sim.hits) if (!firstSeenMinute.has(h.params.url)) firstSeenMinute.set(h.params.url, m);

        if (m === 24) {
          // Nothing lost while Matomo is down: all 11 waiting, none sent.
          const snap = await metrics.snapshot();
          expect(snap).toMatchObject({ queued: 0, deadLettered: 11, sent: 0, oldestWaitingSeconds: 24 * 60 });
        }
      }

      // Exactly once each, nothing before Matomo came back, with the cdt of the page view.
      expect(sim.hits).toHaveLength(11);
      expect([...sim.countBy('url').values()].every((c) => c === 1)).toBe(true);
      for (const h of sim.hits) {
        expect(h.params.cdt).toBe(cdtOf(viewedAt.get(h.params.url)!));
        expect(rftiProblems(h.params)).toEqual([]);
        expect(firstSeenMinute.get(h.params.url)).toBeGreaterThanOrEqual(25);
      }

      // The history of each hit: failed at its minute m, replayed at m+10 (failed again), replayed at m+30 (= +20), sent.
      const { rows } = await db.query<{ query: string; state: string; attempts: number; dead_letters: number; replays: number; history: any[] }>(
        'SELECT query, state, attempts, dead_letters, replays, history FROM dnma_hits ORDER BY id',
      );
      expect(rows).toHaveLength(11);
      const minuteOf = (iso: string) => (new Date(iso).getTime() - T0.getTime()) / MIN;
      for (const [i, row] of rows.entries()) {
        expect(row.state).toBe('SENT');
        const events = row.history.map((e) => `${e.event}@${minuteOf(e.at)}`);
        if (i < 10) {
          const m = Math.floor(i / 2);
          expect(events).toEqual([`QUEUED@${m}`, `DEAD_LETTERED@${m}`, `REPLAYED@${m + 10}`, `DEAD_LETTERED@${m + 10}`, `REPLAYED@${m + 30}`, `SENT@${m + 30}`]);
          expect(row.history[1]).toMatchObject({ reason: 'HTTP_500', deadLetters: 1 });
          expect(row.history[3]).toMatchObject({ reason: 'NETWORK ECONNREFUSED', deadLetters: 2 });
          expect(row).toMatchObject({ attempts: 3, dead_letters: 2, replays: 2 });
        } else {
          // Viewed during the hang: the request timed out, replayed 10 minutes later.
          expect(events).toEqual(['QUEUED@19', 'DEAD_LETTERED@19', 'REPLAYED@29', 'SENT@29']);
          expect(row.history[1]).toMatchObject({ reason: 'TIMEOUT' });
          expect(row).toMatchObject({ attempts: 2, dead_letters: 1, replays: 1 });
        }
      }

      expect(await metrics.snapshot()).toMatchObject({
        queued: 0,
        deadLettered: 0,
        sent: 11,
        replayed: 21,
        dropped: 0,
        oldestWaitingSeconds: null,
        totals: { enqueued: 11, deadLettered: 21 },
      });
      // token_auth: only ever in the POST bodies, never in a URL, never in the database.
      expectTokenOnlyInBodies(sim);
      expect(sim.requests.some((r) => r.mode === 'timeout')).toBe(true);
      expect(rows.every((r) => !r.query.includes('token_auth') && !r.query.includes(TOKEN))).toBe(true);
    } finally {
      await db.close();
    }
  });

  it('a restart of the gateway (new objects over the same database directory) loses nothing, even mid-send', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dnma-restart-'));
    try {
      let t = T0;
      const now = () => t;
      const viewedAt = new Map<string, Date>();
      // Before the restart: six page views; two fail (dead letter), two are in flight when the process dies.
      let db = await freshPglite(dir);
      {
        const config = dnmaConfig(sim, { batchSize: 2, requestTimeoutMs: 20_000 });
        const tracker = new DnmaTracker(db, config, { now });
        for (let n = 0; n < 6; n++) {
          const pv = view(n, new Date(T0.getTime() + n * 1000));
          viewedAt.set(pv.url, pv.at);
          await tracker.track(pv);
        }
        const sender = new DnmaSender(db, config, { now, workerId: 'before-restart' });
        await sim.setMode('fail500');
        expect(await sender.runOnce()).toMatchObject({ claimed: 2, deadLettered: 2 });
        await sim.setMode('timeout');
        const inFlight = sender.runOnce();
        await sim.waitForRequests(2);
        // The process dies while Matomo has not answered.
        await db.close();
        await sim.setMode('ok');
        await expect(inFlight).rejects.toThrow();
      }

      // After the restart: new database handle, new tracker, sender and replayer.
      db = await freshPglite(dir);
      try {
        const config = dnmaConfig(sim, { batchSize: 10 });
        const tracker = new DnmaTracker(db, config, { now });
        const sender = new DnmaSender(db, config, { now, workerId: 'after-restart' });
        const replayer = new DnmaDeadLetterReplayer(db, config, { now });
        const states = await db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM dnma_hits GROUP BY state ORDER BY state');
        expect(states.rows).toEqual([
          { state: 'DEAD', n: 2 },
          { state: 'QUEUED', n: 2 },
          { state: 'SENDING', n: 2 },
        ]);
        const pv = view(6, new Date(T0.getTime() + 6_000));
        viewedAt.set(pv.url, pv.at);
        await tracker.track(pv);

        // The batch claimed before the crash is not taken before its lease runs out…
        expect(await sender.drain()).toMatchObject({ sent: 3 });
        t = new Date(T0.getTime() + config.leaseMs + 1);
        // …then it is.
        expect(await sender.drain()).toMatchObject({ sent: 2 });
        t = new Date(T0.getTime() + 10 * MIN);
        expect(await replayer.runOnce()).toEqual({ replayed: 2, batches: 1 });
        expect(await sender.drain()).toMatchObject({ sent: 2 });

        expect(sim.hits).toHaveLength(7);
        expect([...sim.countBy('url').values()].every((c) => c === 1)).toBe(true);
        for (const h of sim.hits) expect(h.params.cdt).toBe(cdtOf(viewedAt.get(h.params.url)!));
        const m = await new DnmaMetrics(db, { now }).snapshot();
        expect(m).toMatchObject({ queued: 0, deadLettered: 0, sent: 7, totals: { enqueued: 7, deadLettered: 2, replayed: 2 } });
        const reclaimed = await db.query<{ history: any[] }>(`SELECT history FROM dnma_hits WHERE history @> '[{"event":"LEASE_EXPIRED"}]'::jsonb`);
        expect(reclaimed.rows).toHaveLength(2);
        expect(reclaimed.rows[0].history.find((e) => e.event === 'LEASE_EXPIRED')).toMatchObject({ worker: 'before-restart' });
        expectTokenOnlyInBodies(sim);
      } finally {
        await db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('DNMA on a real Postgres server: concurrent workers', () => {
  let pg: ThrowawayPostgres;
  let sim: MatomoSim;
  const dbs: Database[] = [];

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    sim = await MatomoSim.start({ tokenAuth: TOKEN, latencyMs: 15 });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.close().catch(() => undefined)));
    await sim?.stop();
    await pg?.stop();
  }, 60_000);

  async function connect(): Promise<Database> {
    const db = await openDatabase({ url: pg.url, poolSize: 4 });
    dbs.push(db);
    return db;
  }

  it('3 senders over 200 hits: each hit is received exactly once; 3 replayers replay each dead letter once', async () => {
    const main = await connect();
    await migrate(main, [...MIGRATIONS, ...DNMA_MIGRATIONS]);
    let t = T0;
    const now = () => t;
    const config = dnmaConfig(sim, { batchSize: 7, replay: { delaysMs: [10 * MIN, 20 * MIN], batchSize: 9 } });
    const tracker = new DnmaTracker(main, config, { now });
    for (let n = 0; n < 200; n++) expect(await tracker.track(view(n, new Date(T0.getTime() + n * 100)))).toMatchObject({ status: 'queued' });

    // Three workers, each with its own connection pool, as three gateway replicas would be.
    const senders = await Promise.all([1, 2, 3].map(async (i) => new DnmaSender(await connect(), config, { now, workerId: `replica-${i}` })));
    const results = await Promise.all(senders.map((s) => s.drain()));
    expect(results.reduce((a, r) => a + r.sent, 0)).toBe(200);
    expect(results.filter((r) => r.claimed > 0).length).toBeGreaterThanOrEqual(2); // they really shared the work
    expect(sim.hits).toHaveLength(200);
    const counts = sim.countBy('url');
    expect(counts.size).toBe(200);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    const sent = await main.query<{ attempts: number; n: number }>(`SELECT attempts, count(*)::int AS n FROM dnma_hits WHERE state = 'SENT' GROUP BY attempts`);
    expect(sent.rows).toEqual([{ attempts: 1, n: 200 }]);

    // Matomo fails: 100 more hits go to the dead-letter queue; three replayers race to replay them.
    sim.reset();
    await sim.setMode('fail500');
    for (let n = 200; n < 300; n++) await tracker.track(view(n, new Date(T0.getTime() + n * 100)));
    await Promise.all(senders.map((s) => s.drain()));
    const metrics = new DnmaMetrics(main, { now });
    expect(await metrics.snapshot()).toMatchObject({ queued: 0, deadLettered: 100 });
    await sim.setMode('ok');
    t = new Date(T0.getTime() + 10 * MIN);
    const replayers = await Promise.all([1, 2, 3].map(async (i) => new DnmaDeadLetterReplayer(await connect(), config, { now, workerId: `replayer-${i}` })));
    const replayed = await Promise.all(replayers.map((r) => r.runOnce()));
    expect(replayed.reduce((a, r) => a + r.replayed, 0)).toBe(100);
    const replays = await main.query<{ replays: number; n: number }>(`SELECT replays, count(*)::int AS n FROM dnma_hits WHERE dead_letters = 1 GROUP BY replays`);
    expect(replays.rows).toEqual([{ replays: 1, n: 100 }]);
    await Promise.all(senders.map((s) => s.drain()));
    expect(sim.hits).toHaveLength(100);
    expect([...sim.countBy('url').values()].every((c) => c === 1)).toBe(true);
    expect(await metrics.snapshot()).toMatchObject({ queued: 0, deadLettered: 0, sent: 300, replayed: 100, totals: { enqueued: 300, deadLettered: 100 } });
    expectTokenOnlyInBodies(sim);
  });

  it('senders started as background loops share the queue without sending a hit twice', async () => {
    const main = dbs[0];
    sim.reset();
    const config = dnmaConfig(sim, { batchSize: 5, pollIntervalMs: 20 });
    const tracker = new DnmaTracker(main, config);
    const senders = await Promise.all([1, 2, 3].map(async (i) => new DnmaSender(await connect(), config, { workerId: `loop-${i}` })));
    senders.forEach((s) => s.start());
    try {
      await Promise.all(Array.from({ length: 60 }, (_, k) => tracker.track(view(1000 + k, new Date()))));
      const deadline = Date.now() + 30_000;
      while (sim.hits.length < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await Promise.all(senders.map((s) => s.stop()));
    }
    expect(sim.hits).toHaveLength(60);
    expect([...sim.countBy('url').values()].every((c) => c === 1)).toBe(true);
  });
});
