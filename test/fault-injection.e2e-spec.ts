import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGatewayDatabases, GatewayDb, sqlRows } from './support/gateway-db';
import { startThrowawayPostgres, ThrowawayPostgres } from './support/postgres';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';
import { s3Client } from './support/s3';

/*
 * SIGKILL of the departure and of the arrival gateway at each lifecycle stage
 * (issue: "nothing lost, nothing twice"). The gateways run on a real Postgres
 * server; the simulated ENTs are slowed down (ENT_SIM_LATENCY_MS) and the
 * arrival's pulls are rate-limited, so that each kill lands inside the stage it
 * names — which each scenario checks in the database before killing.
 */
jest.setTimeout(600_000);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const GATEWAY_ENV = { JOB_LEASE_MS: '1500', JOB_BACKOFF_BASE_MS: '200', JOB_BACKOFF_MAX_MS: '1500', JOB_MAX_ATTEMPTS: '100', JOB_POLL_MS: '100' };

describe('crash safety: SIGKILL at each stage, the transfer completes exactly once', () => {
  let pg: ThrowawayPostgres;
  let env: StackSession;
  let dbA: GatewayDb;
  let dbB: GatewayDb;
  let contents: any[];
  let urls: Record<string, string>;
  const original = new Map<string, Buffer>();

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    urls = await createGatewayDatabases(pg, ['gw_a', 'gw_b']);
    env = await bootStack('faults', {
      databaseUrls: { a: urls.gw_a, b: urls.gw_b },
      env: {
        'gateway-a': GATEWAY_ENV,
        'gateway-b': { ...GATEWAY_ENV, FETCH_MAX_BYTES_PER_SECOND: '3000' },
        'ent-sim-a': { ENT_SIM_LATENCY_MS: '1500' },
        'ent-sim-b': { ENT_SIM_LATENCY_MS: '1500' },
      },
    });
    dbA = await GatewayDb.open(urls.gw_a);
    dbB = await GatewayDb.open(urls.gw_b);
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    contents = (await atA.json('GET', '/api/contents')).items;
    for (const c of contents) {
      const f = c.formats[0].format;
      const res = await fetch(`${env.stack.urls.entA}/connector/v1/users/marie.dupont/contents/${encodeURIComponent(c.id)}/export?format=${f}`, {
        headers: { authorization: `Bearer ${DEMO.connectorTokenA}` },
      });
      original.set(c.id, Buffer.from(await res.arrayBuffer()));
    }
  });

  afterAll(async () => {
    await dbA?.close();
    await dbB?.close();
    await env?.close();
    await pg?.stop();
  });

  const pick = () => {
    const course = contents.find((c) => c.category === 'PARCOURS_PEDAGOGIQUE');
    const pdf = contents.find((c) => c.category === 'STOCKAGE_PARTAGE');
    const mail = contents.find((c) => c.category === 'COURRIER_ELECTRONIQUE');
    return [course, pdf, mail];
  };

  async function newTransfer(): Promise<{ atA: TeacherClient; id: string; items: any[] }> {
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const items = pick();
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: items.map((i) => i.id) });
    await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    return { atA, id: draft.id, items };
  }

  const ownerLogsIntoB = () => TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');

  async function restart(name: 'gateway-a' | 'gateway-b') {
    await env.stack.start(name);
  }

  function entSimBLog(): string {
    return readFileSync(join(env.dataDir, 'logs', 'ent-sim-b.log'), 'utf8');
  }

  /** The end state every scenario must reach: complete, byte-identical, each import exactly once. */
  async function assertCompleted(id: string, items: any[]) {
    const [course, pdf, mail] = items;
    await waitUntil(`arrival ${id} DONE`, async () => (await dbB.transferState(id, 'ARRIVAL')) === 'DONE', 120_000);
    await waitUntil(`departure ${id} CLEANED`, async () => (await dbA.transferState(id, 'DEPARTURE')) === 'CLEANED', 120_000);

    const list = (await (await fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents`, { headers: { authorization: `Bearer ${DEMO.connectorTokenB}` } })).json()) as any;
    for (const item of [course, pdf]) {
      const imported = list.items.filter((c: any) => c.importKey === `${id}:${item.id}`);
      expect(imported).toHaveLength(1);
      const res = await fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents/${encodeURIComponent(imported[0].id)}/export?format=${item.formats[0].format}`, {
        headers: { authorization: `Bearer ${DEMO.connectorTokenB}` },
      });
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(original.get(item.id)!));
      // The ENT created it once, whatever the retries.
      expect(entSimBLog().split('\n').filter((l) => l.includes(`import created`) && l.includes(`(key ${id}:${item.id},`))).toHaveLength(1);
    }
    expect(list.items.filter((c: any) => c.importKey === `${id}:${mail.id}`)).toHaveLength(0);

    const arrival = await dbB.events(id, 'ARRIVAL');
    const departure = await dbA.events(id, 'DEPARTURE');
    for (const item of items) {
      expect(departure.filter((e) => e.item_id === item.id && e.type === 'ITEM_STAGED')).toHaveLength(1);
      expect(arrival.filter((e) => e.item_id === item.id && e.type === 'ITEM_FETCHED')).toHaveLength(1);
    }
    expect(arrival.filter((e) => e.type === 'ITEM_IMPORTED').map((e) => e.item_id).sort()).toEqual([course.id, pdf.id].sort());
    expect(arrival.filter((e) => e.type === 'ITEM_KEPT_FOR_MANUAL_DOWNLOAD').map((e) => e.item_id)).toEqual([mail.id]);
    // Every state change follows the previous one: no step lost, none done twice.
    for (const events of [arrival, departure]) {
      const chain = events.filter((e) => e.item_id === null && e.to_state !== null);
      chain.slice(1).forEach((e, i) => expect(e.from_state).toBe(chain[i].to_state));
    }
    // No staged object is left behind at the departure.
    const s3 = s3Client(env.s3);
    const left: string[] = [];
    for await (const o of s3.listObjectsV2(env.buckets.a, `departure/${id}/`, true)) if (o.name) left.push(o.name);
    expect(left).toEqual([]);
  }

  it('departure killed during staging', async () => {
    const { atA, id, items } = await newTransfer();
    await atA.json('POST', `/api/transfers/${id}/start`);
    // The ENT takes 1.5 s before the first byte of each export: staging is under way.
    await waitUntil('a staging job running', async () => (await dbA.jobs(`stage:${id}`)).some((j) => j.state === 'RUNNING'));
    expect(await dbA.transferState(id, 'DEPARTURE')).toBe('STAGING');
    await env.stack.kill('gateway-a', 'SIGKILL');
    await restart('gateway-a');
    await ownerLogsIntoB();
    await assertCompleted(id, items);
    // The interrupted staging jobs were taken again after their lease ran out.
    expect((await dbA.jobs(`stage:${id}`)).some((j) => j.attempts >= 2)).toBe(true);
  });

  it('departure killed between offer and delivery', async () => {
    const { atA, id, items } = await newTransfer();
    expect(await dbA.transferState(id, 'DEPARTURE')).toBe('ANSWERED');
    await env.stack.kill('gateway-a', 'SIGKILL');
    await restart('gateway-a');
    const again = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    expect((await again.json('GET', `/api/transfers/${id}`)).state).toBe('ANSWERED');
    await again.json('POST', `/api/transfers/${id}/start`);
    await ownerLogsIntoB();
    await assertCompleted(id, items);
    void atA;
  });

  it('arrival killed during fetch', async () => {
    const { atA, id, items } = await newTransfer();
    await atA.json('POST', `/api/transfers/${id}/start`);
    // Pulls are capped at 3 kB/s: the arrival is mid-fetch for seconds.
    await waitUntil('a fetch job running', async () => (await dbB.jobs(`fetch:${id}`)).some((j) => j.state === 'RUNNING'), 60_000);
    expect(await dbB.transferState(id, 'ARRIVAL')).toBe('FETCHING');
    await env.stack.kill('gateway-b', 'SIGKILL');
    await restart('gateway-b');
    await ownerLogsIntoB();
    await assertCompleted(id, items);
    expect((await dbB.jobs(`fetch:${id}`)).some((j) => j.attempts >= 2)).toBe(true);
  });

  it('arrival killed during import', async () => {
    const { atA, id, items } = await newTransfer();
    await atA.json('POST', `/api/transfers/${id}/start`);
    await waitUntil('arrival waiting for its owner', async () => (await dbB.transferState(id, 'ARRIVAL')) === 'AWAITING_OWNER', 60_000);
    await ownerLogsIntoB();
    // ENT B holds each import 1.5 s between receiving the bytes and committing them.
    await waitUntil('an import job running', async () => (await dbB.jobs(`import:${id}`)).some((j) => j.state === 'RUNNING'));
    expect(await dbB.transferState(id, 'ARRIVAL')).toBe('IMPORTING');
    await env.stack.kill('gateway-b', 'SIGKILL');
    await restart('gateway-b');
    await assertCompleted(id, items);
    // An interrupted import was taken again after its lease (ENT B recognised the key when the
    // first call had reached it: "import replayed"; assertCompleted checked one creation per item).
    expect((await dbB.jobs(`import:${id}`)).some((j) => j.attempts >= 2)).toBe(true);
  });

  it('arrival killed before its receipt reached the departure', async () => {
    const { atA, id, items } = await newTransfer();
    await atA.json('POST', `/api/transfers/${id}/start`);
    await waitUntil('arrival waiting for its owner', async () => (await dbB.transferState(id, 'ARRIVAL')) === 'AWAITING_OWNER', 60_000);
    // The departure goes down: the receipt cannot be delivered.
    await env.stack.kill('gateway-a', 'SIGKILL');
    await ownerLogsIntoB();
    await waitUntil('arrival DONE', async () => (await dbB.transferState(id, 'ARRIVAL')) === 'DONE', 60_000);
    const receiptJobs = await dbB.jobs(`receipt:${id}`);
    expect(receiptJobs).toHaveLength(1);
    expect(receiptJobs[0].state).not.toBe('DONE');
    expect((await dbB.events(id, 'ARRIVAL')).some((e) => e.type === 'RECEIPT_SENT')).toBe(false);
    await env.stack.kill('gateway-b', 'SIGKILL');
    await restart('gateway-a');
    await restart('gateway-b');
    await assertCompleted(id, items);
    expect((await dbB.events(id, 'ARRIVAL')).filter((e) => e.type === 'RECEIPT_SENT')).toHaveLength(1);
    expect((await dbA.events(id, 'DEPARTURE')).filter((e) => e.type === 'RECEIPT_RECEIVED')).toHaveLength(1);
  });

  // After the scenarios above, the arrival holds their finished jobs. Kept for ever, they made the
  // queue (and every scan of it) grow with each summer, with what their payloads carry.
  it('a gateway that starts purges the jobs finished longer ago than JOB_RETENTION_SECONDS, and nothing else', async () => {
    const finished = await dbB.rows<{ id: string }>(`SELECT id FROM jobs WHERE state IN ('DONE', 'FAILED') ORDER BY id`);
    expect(finished.length).toBeGreaterThan(10);
    const young = finished[finished.length - 1].id;
    await sqlRows(urls.gw_b, `UPDATE jobs SET updated_at = now() - interval '31 days' WHERE state IN ('DONE', 'FAILED') AND id <> $1`, [young]);
    // Deadlines still to come (offer expiry, owner deadline, retention): never purged, whatever their age.
    const waiting = (await dbB.rows<{ id: string }>(`SELECT id FROM jobs WHERE state IN ('PENDING', 'RUNNING')`)).map((r) => r.id);
    expect(waiting.length).toBeGreaterThan(0);
    await sqlRows(urls.gw_b, `UPDATE jobs SET updated_at = now() - interval '90 days' WHERE id = ANY($1::bigint[])`, [waiting]);
    await env.stack.kill('gateway-b');
    await restart('gateway-b');
    await waitUntil('the old finished jobs purged', async () => (await dbB.rows(`SELECT 1 FROM jobs WHERE id <> $1 AND id = ANY($2::bigint[])`, [young, finished.map((f) => f.id)])).length === 0, 60_000);
    expect(await dbB.rows(`SELECT id FROM jobs WHERE id = $1`, [young])).toHaveLength(1);
    expect(await dbB.rows(`SELECT id FROM jobs WHERE id = ANY($1::bigint[])`, [waiting])).toHaveLength(waiting.length);
    const purged = readFileSync(join(env.dataDir, 'logs', 'gateway-b.log'), 'utf8').split('\n').filter((l) => l.includes('finished jobs purged'));
    expect(purged).toHaveLength(1);
    expect(JSON.parse(purged[0])).toEqual(expect.objectContaining({ olderThanSeconds: 30 * 86_400 }));
    expect(JSON.parse(purged[0]).purged).toBeGreaterThanOrEqual(finished.length - 1);
  });
});
