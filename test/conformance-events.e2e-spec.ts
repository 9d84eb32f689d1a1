import { REQUIREMENTS } from '../apps/conformance/src/requirements';
import { runKit } from './support/conformance-kit';
import { freePort } from './support/ports';
import { bootStack, DEMO, StackSession } from './support/stack-session';

/*
 * The connector events (issue #15, `POST /connector/v1/events`) in the conformance kit: an ENT
 * vendor points its ENT at the kit, which plays the gateway and checks every event the ENT sends
 * (`events`); a gateway vendor runs the kit against its gateway's events endpoint
 * (`gateway-events`). Our ent-sim and gateway pass; a deliberately broken sender fails with
 * exactly the requirement ids it breaks.
 */
jest.setTimeout(600_000);

const senderRules = REQUIREMENTS.filter((r) => r.checkedBy === 'events').map((r) => r.id);
const endpointRules = REQUIREMENTS.filter((r) => r.checkedBy === 'gateway-events').map((r) => r.id);

describe('conformance kit: connector events', () => {
  let env: StackSession;
  let kitPort: number;

  beforeAll(async () => {
    kitPort = await freePort();
    // ENT B sends its events to the kit instead of gateway B: the kit plays its gateway.
    env = await bootStack('kit-events', { env: { 'ent-sim-b': { ENT_SIM_GATEWAY_URL: `http://127.0.0.1:${kitPort}` } } });
  });
  afterAll(async () => {
    await env?.close();
  });

  const sim = async (path: string, body: unknown) => {
    const res = await fetch(`${env.stack.urls.entB}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO.connectorTokenB}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`ENT B ${path} answered ${res.status}: ${await res.text()}`);
  };

  it('has requirement ids for both sides, in the checklists', () => {
    expect(senderRules).toEqual(['EVT-01', 'EVT-02', 'EVT-03', 'EVT-04', 'EVT-05']);
    expect(endpointRules).toEqual(['EVT-06', 'EVT-07', 'EVT-08', 'EVT-09']);
  });

  it('events: our simulated ENT sends authenticated, valid events at a login and at an account creation', async () => {
    const run = await runKit(
      ['events', '--listen', `127.0.0.1:${kitPort}`, '--token', DEMO.connectorTokenB, '--user', 'nathalie.petit', '--wait', '60'],
      {
        'Log in now as ': () => sim('/sim/v1/logins', { userId: 'nathalie.petit' }),
        'Create an account for ': () => sim('/sim/v1/accounts', { userId: 'nathalie.petit', uais: [DEMO.uaiB] }),
      },
    );
    expect({ exit: run.exitCode, failed: run.failed }).toEqual({ exit: 0, failed: [] });
    expect(run.passed.sort()).toEqual(senderRules);
  });

  it('events: a broken sender fails with exactly the ids it breaks', async () => {
    const kit = `http://127.0.0.1:${kitPort}/connector/v1/events`;
    const statuses: number[] = [];
    const send = async (token: string, body: unknown) =>
      statuses.push((await fetch(kit, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).status);
    const run = await runKit(
      ['events', '--listen', `127.0.0.1:${kitPort}`, '--token', DEMO.connectorTokenB, '--user', 'nathalie.petit', '--wait', '5'],
      {
        'Log in now as ': async () => {
          // EVT-01: the gateway's secret is not the one it sends.
          await send('not-the-connector-token', { type: 'USER_LOGGED_IN', userId: 'nathalie.petit', occurredAt: new Date().toISOString() });
          // A valid login event, but dated two hours ago (EVT-05, a SHOULD).
          await send(DEMO.connectorTokenB, { type: 'USER_LOGGED_IN', userId: 'nathalie.petit', occurredAt: new Date(Date.now() - 2 * 3600_000).toISOString() });
        },
        'Create an account for ': async () => {
          // EVT-02: a field the contract does not define; so no valid account event either (EVT-04).
          await send(DEMO.connectorTokenB, { type: 'ACCOUNT_CREATED', userId: 'nathalie.petit', uais: [DEMO.uaiB], occurredAt: new Date().toISOString(), displayName: 'Nathalie Petit' });
        },
      },
    );
    // The kit answers as a gateway would: 401 without the secret, 200 for a valid event, 400 for an invalid one.
    expect(statuses).toEqual([401, 200, 400]);
    expect(run.exitCode).toBe(1);
    expect(run.failed.sort()).toEqual(['EVT-01', 'EVT-02', 'EVT-04']);
    // EVT-05 is a SHOULD: a warning, not a failure of the run.
    expect(run.output).toContain("WARN EVT-05 SHOULD");
    expect(run.passed).toEqual(['EVT-03']);
  });

  it('gateway-events: our gateway refuses unauthenticated and malformed events and accepts valid ones idempotently', async () => {
    const run = await runKit(['gateway-events', '--target', env.stack.urls.gatewayB, '--token', DEMO.connectorTokenB, '--user', 'paul.martin']);
    expect({ exit: run.exitCode, failed: run.failed }).toEqual({ exit: 0, failed: [] });
    expect(run.passed.sort()).toEqual(endpointRules);
  });

  it('gateway-events: a gateway that takes any token and any body fails EVT-06 and EVT-07', async () => {
    const lax = await freePort();
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        let type = 'USER_LOGGED_IN';
        try {
          type = JSON.parse(body).type ?? type;
        } catch {
          // a lax gateway answers anyway
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ type, importsStarted: 0 }));
      });
    });
    await new Promise<void>((r) => server.listen(lax, '127.0.0.1', r));
    try {
      const run = await runKit(['gateway-events', '--target', `http://127.0.0.1:${lax}`, '--token', 'any', '--user', 'paul.martin']);
      expect(run.exitCode).toBe(1);
      expect(run.failed.sort()).toEqual(['EVT-06', 'EVT-07']);
      expect(run.passed.sort()).toEqual(['EVT-08', 'EVT-09']);
    } finally {
      server.close();
    }
  });
});
