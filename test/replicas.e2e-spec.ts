import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { stackSpecs } from '../scripts/local-stack';
import { createGatewayDatabases, GatewayDb } from './support/gateway-db';
import { freePort } from './support/ports';
import { startThrowawayPostgres, ThrowawayPostgres } from './support/postgres';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * Two gateway processes per ENT on one real Postgres server (ARCHITECTURE §10:
 * stateless replicas sharing state and queue). They share the work through
 * FOR UPDATE SKIP LOCKED; no item may be processed twice.
 */
jest.setTimeout(300_000);

const TRANSFERS = 6;

describe('two replicas per ENT on one Postgres server', () => {
  let pg: ThrowawayPostgres;
  let env: StackSession;
  let urls: Record<string, string>;
  const replicas: ChildProcess[] = [];

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    urls = await createGatewayDatabases(pg, ['rep_a', 'rep_b']);
    env = await bootStack('replicas', { databaseUrls: { a: urls.rep_a, b: urls.rep_b } });
    // A second process for each gateway: same database, same bucket, same identity; it
    // takes no HTTP traffic here (the first stands for the load balancer) but runs jobs.
    const specs = stackSpecs(env.stack.options);
    for (const name of ['gateway-a', 'gateway-b'] as const) {
      const spec = specs.find((s) => s.name === name)!;
      const port = await freePort();
      const child = spawn(process.execPath, [resolve(__dirname, '..', spec.script)], {
        env: { PATH: process.env.PATH ?? '', ...spec.env, GATEWAY_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const log = createWriteStream(join(env.dataDir, 'logs', `${name}-replica-2.log`));
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
      replicas.push(child);
      await waitUntil(`${name} replica 2`, async () => (await fetch(`http://127.0.0.1:${port}/.well-known/ent-portability`)).ok);
    }
  });

  afterAll(async () => {
    for (const r of replicas) {
      const exited = new Promise((ok) => r.once('exit', ok));
      r.kill('SIGTERM');
      await exited;
    }
    await env?.close();
    await pg?.stop();
  });

  it(`${TRANSFERS} concurrent transfers complete, each item handled once, work shared by both replicas`, async () => {
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const contents = (await atA.json('GET', '/api/contents')).items as any[];
    const chosen = contents.filter((c) => ['PARCOURS_PEDAGOGIQUE', 'STOCKAGE_PARTAGE', 'COURRIER_ELECTRONIQUE'].includes(c.category)).map((c) => c.id);
    const ids = await Promise.all(
      Array.from({ length: TRANSFERS }, async () => {
        const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: chosen });
        await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
        await atA.json('POST', `/api/transfers/${draft.id}/start`);
        return draft.id as string;
      }),
    );
    const dbA = await GatewayDb.open(urls.rep_a);
    const dbB = await GatewayDb.open(urls.rep_b);
    try {
      await waitUntil('every transfer waiting for its owner', async () => {
        const states = await Promise.all(ids.map((id) => dbB.transferState(id, 'ARRIVAL')));
        return states.every((s) => s === 'AWAITING_OWNER');
      }, 120_000);
      await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
      await waitUntil('every transfer cleaned at the departure', async () => {
        const states = await Promise.all(ids.map((id) => dbA.transferState(id, 'DEPARTURE')));
        return states.every((s) => s === 'CLEANED');
      }, 120_000);

      for (const id of ids) {
        expect(await dbB.transferState(id, 'ARRIVAL')).toBe('DONE');
        const dep = await dbA.events(id, 'DEPARTURE');
        const arr = await dbB.events(id, 'ARRIVAL');
        for (const item of chosen) {
          expect(dep.filter((e) => e.item_id === item && e.type === 'ITEM_STAGED')).toHaveLength(1);
          expect(arr.filter((e) => e.item_id === item && e.type === 'ITEM_FETCHED')).toHaveLength(1);
        }
        expect(arr.filter((e) => e.type === 'ITEM_IMPORTED')).toHaveLength(2);
      }
      // One claim per job: nothing ran twice, nothing needed a retry.
      for (const url of [urls.rep_a, urls.rep_b]) {
        const c = new Client({ connectionString: url });
        await c.connect();
        try {
          // Deadline jobs (offer expiry, waiting for the owner, retention) wait for their dates:
          // they are not part of this run.
          const jobs = (await c.query(`SELECT state, attempts, completed_by FROM jobs WHERE kind NOT IN ('departure.expire', 'arrival.expire', 'arrival.owner-deadline', 'arrival.retention')`)).rows;
          expect(jobs.length).toBeGreaterThan(0);
          expect(jobs.every((j) => j.state === 'DONE' && j.attempts === 1)).toBe(true);
          // Both replicas of the ENT did part of the work.
          expect(new Set(jobs.map((j) => j.completed_by)).size).toBe(2);
        } finally {
          await c.end();
        }
      }
      // ENT B holds each imported item exactly once.
      const list = (await (await fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents`, { headers: { authorization: `Bearer ${DEMO.connectorTokenB}` } })).json()) as any;
      const keys = list.items.map((c: any) => c.importKey).filter((k: string | undefined) => k && ids.some((id) => k.startsWith(id)));
      expect(keys).toHaveLength(TRANSFERS * 2);
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      await dbA.close();
      await dbB.close();
    }
  });
});
