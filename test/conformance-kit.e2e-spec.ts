import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { REQUIREMENTS } from '../apps/conformance/src/requirements';
import { BrokenArrival, BROKEN_ARRIVAL_VIOLATES } from './support/broken-arrival';
import { runKit } from './support/conformance-kit';
import { freePort } from './support/ports';
import { bootStack, DEMO, StackSession, TeacherClient } from './support/stack-session';

jest.setTimeout(900_000);

const KIT_UAI = '9999999K';
const automatedArrivalMusts = REQUIREMENTS.filter((r) => r.checkedBy === 'arrival' && r.level === 'MUST').map((r) => r.id);
const automatedConnectorRules = REQUIREMENTS.filter((r) => r.checkedBy === 'connector').map((r) => r.id);
const automatedDepartureRules = REQUIREMENTS.filter((r) => r.checkedBy === 'departure').map((r) => r.id);

describe('conformance kit packaging', () => {
  it('runs on plain Node: loading the compiled bin pulls in no Nest, class-validator or reflect-metadata', () => {
    const loaded = execFileSync(process.execPath, ['-e', [
      "require('./dist/apps/conformance/src/main.js');",
      "console.log(JSON.stringify(Object.keys(require.cache).filter((k) => /node_modules[\\/](@nestjs|class-validator|class-transformer|reflect-metadata)[\\/]/.test(k))));",
    ].join('')], { cwd: resolve(__dirname, '..'), encoding: 'utf8' });
    expect(JSON.parse(loaded)).toEqual([]);
  });
});

/**
 * The owner's part: the kit's offers carry no proof that she asked (ADR 010), so gateway B imports
 * nothing at her login; she accepts each delivery once it has been received.
 */
async function ownerLogsInAndAccepts(gatewayB: string): Promise<void> {
  const atB = await TeacherClient.login(gatewayB, 'marie.dupont', 'demo-marie');
  const end = Date.now() + 200_000;
  while (Date.now() < end) {
    const { items } = await atB.json<{ items: any[] }>('GET', '/api/received');
    const fromKit = items.filter((t) => t.departureEntId === 'conformance-kit');
    for (const t of fromKit.filter((x) => x.state === 'AWAITING_ACCEPTANCE')) await atB.json('POST', `/api/received/${t.id}/accept`);
    if (fromKit.some((t) => t.state !== 'ANSWERED') && !fromKit.some((t) => ['FETCHING', 'AWAITING_ACCEPTANCE'].includes(t.state))) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('conformance kit against our gateways and a broken arrival (real IdP, gateways, database, S3)', () => {
  let env: StackSession;
  let kitUrl: string;
  let kitPort: number;
  let brokenPort: number;

  beforeAll(async () => {
    kitPort = await freePort();
    brokenPort = await freePort();
    kitUrl = `http://127.0.0.1:${kitPort}`;
    env = await bootStack('kit-arrival', {
      extraPeers: [{ entId: 'conformance-kit', clientId: DEMO.clientKit.id, discoveryUrl: `${kitUrl}/.well-known/ent-portability`, uais: [KIT_UAI] }],
      extraResources: [kitUrl, `http://127.0.0.1:${brokenPort}`],
      // A fetch that fails its checksum is retried: keep the retries short so that the receipt comes soon.
      env: { 'gateway-b': { JOB_MAX_ATTEMPTS: '2', JOB_BACKOFF_BASE_MS: '100', JOB_BACKOFF_MAX_MS: '300' } },
    });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('certifies gateway B: every MUST the kit checks holds, exit code 0', async () => {
    const urls = env.stack.urls;
    const run = await runKit(
      ['arrival', '--target', urls.gatewayB, '--issuer', urls.idp, '--client-id', DEMO.clientKit.id, '--client-secret', DEMO.clientKit.secret,
        '--owner-identity', 'marie.dupont', '--uai', KIT_UAI, '--listen', `127.0.0.1:${kitPort}`, '--receipt-timeout', '240'],
      () => ownerLogsInAndAccepts(urls.gatewayB),
    );
    if (run.exitCode !== 0) console.log(run.output);
    expect({ failed: run.failed, exit: run.exitCode }).toEqual({ failed: [], exit: 0 });
    expect(run.passed.sort()).toEqual([...automatedArrivalMusts].sort());
    expect(run.output).toMatch(/CONFORMANT \(every MUST holds\)/);
    expect(run.html).toContain('id="ARR-15"');

    // What the kit delivered really reached ENT B: the main PDF and cahier de textes were imported for Marie.
    const atB = await TeacherClient.login(urls.gatewayB, 'marie.dupont', 'demo-marie');
    const { items: received } = await atB.json<{ items: any[] }>('GET', '/api/received');
    const fromKit = received.filter((t) => t.departureEntId === 'conformance-kit');
    const main = fromKit.find((t) => t.items.length === 3);
    expect(main?.items.map((i: any) => [i.itemId, i.state]).sort()).toEqual([['kit-ical', 'IMPORTED'], ['kit-mail', 'AWAITING_MANUAL_DOWNLOAD'], ['kit-pdf', 'IMPORTED']]);
    // The hostile deliveries were refused: none of those transfers went past its answer.
    const refused = fromKit.filter((t) => t.items.length === 1 && t.state === 'ANSWERED');
    // seven hostile deliveries, the offer that showed refused bodies record nothing, and the one that showed a foreign departure school does not either
    expect(refused).toHaveLength(9);
    for (const t of refused) expect(t.items[0].state).toBe('OFFERED');
  });

  it('names exactly the rules a broken arrival violates, and no other, with exit code 1', async () => {
    const urls = env.stack.urls;
    const broken = new BrokenArrival({
      issuer: urls.idp,
      client: DEMO.clientC,
      peer: { entId: 'conformance-kit', clientId: DEMO.clientKit.id, discoveryUrl: `${kitUrl}/.well-known/ent-portability`, uais: [KIT_UAI] },
      uai: '0990099Z',
    });
    await broken.start(brokenPort);
    try {
      const run = await runKit(
        ['arrival', '--target', broken.url, '--issuer', urls.idp, '--client-id', DEMO.clientKit.id, '--client-secret', DEMO.clientKit.secret,
          '--owner-identity', 'marie.dupont', '--uai', KIT_UAI, '--listen', `127.0.0.1:${kitPort}`, '--receipt-timeout', '120'],
        async () => undefined,
      );
      expect({ failed: run.failed.sort(), exit: run.exitCode }).toEqual({ failed: BROKEN_ARRIVAL_VIOLATES, exit: 1 });
      expect(run.passed.sort()).toEqual(automatedArrivalMusts.filter((id) => !BROKEN_ARRIVAL_VIOLATES.includes(id)).sort());
      // The evidence names what went wrong: the tampered manifest was accepted, the bad offer got plain text.
      expect(run.junit).toMatch(/a manifest altered after signing \(sizeBytes changed\): expected 400 urn:ent-portability:problem:invalid-signature, got 202/);
      expect(run.junit).toMatch(/offer with an unknown category: 400 is not a well-formed problem\+json \(content-type text\/plain/);
      expect(run.output).toMatch(/NOT CONFORMANT/);
    } finally {
      await broken.stop();
    }
  });

  it('certifies gateway A as departure: the start and resume commands drive its teacher API, every rule holds', async () => {
    const urls = env.stack.urls;
    // The vendor's side of the run: what --start-command and --resume-command do, here through gateway A's teacher API.
    let teacher: TeacherClient | undefined;
    let transferId: string | undefined;
    const trigger = createServer((req, res) => {
      void (async () => {
        if (req.url === '/start') {
          teacher = await TeacherClient.login(urls.gatewayA, 'marie.dupont', 'demo-marie');
          const { items } = await teacher.json<{ items: any[] }>('GET', '/api/contents');
          const pick = ['PARCOURS_PEDAGOGIQUE', 'STOCKAGE_PARTAGE', 'COURRIER_ELECTRONIQUE'].map((c) => items.find((i) => i.category === c).id);
          const draft = await teacher.json('POST', '/api/transfers', { arrivalUai: KIT_UAI, itemIds: pick });
          transferId = draft.id;
          await teacher.json('POST', `/api/transfers/${draft.id}/analysis`);
          await teacher.json('POST', `/api/transfers/${draft.id}/start`);
        } else if (req.url === '/resume') {
          await teacher!.json('POST', `/api/transfers/${transferId}/resume`);
        }
        res.writeHead(200).end();
      })().catch((err: Error) => res.writeHead(500).end(err.message));
    });
    await new Promise<void>((r) => trigger.listen(0, '127.0.0.1', () => r()));
    const call = (path: string) => `node -e "fetch('http://127.0.0.1:${(trigger.address() as AddressInfo).port}${path}').then(async (r) => { if (!r.ok) { console.error(await r.text()); process.exit(1); } })"`;
    try {
      const run = await runKit(['departure', '--target', urls.gatewayA, '--issuer', urls.idp, '--client-id', DEMO.clientKit.id, '--client-secret', DEMO.clientKit.secret,
        '--uai', KIT_UAI, '--listen', `127.0.0.1:${kitPort}`, '--wait', '120', '--pause-check', '5', '--slow-pull', '2',
        '--start-command', call('/start'), '--resume-command', call('/resume')]);
      if (run.exitCode !== 0) console.log(run.output);
      expect({ failed: run.failed, exit: run.exitCode }).toEqual({ failed: [], exit: 0 });
      expect(run.passed.sort()).toEqual([...automatedDepartureRules].sort());
      // Gateway A took the kit's receipt: its transfer is receipted, the refused mail never left.
      const t = await teacher!.json('GET', `/api/transfers/${transferId}`);
      expect(['RECEIPTED', 'CLEANED']).toContain(t.state);
      expect(t.items.map((i: any) => i.state).sort()).toEqual(['IMPORTED', 'IMPORTED', 'REFUSED']);
    } finally {
      await new Promise<void>((r) => trigger.close(() => r()));
    }
  });

  it('certifies ENT A\'s connector (ent-sim): listing, exports with Range, idempotent import, errors', async () => {
    const urls = env.stack.urls;
    const run = await runKit(['connector', '--target', urls.entA, '--token', DEMO.connectorTokenA, '--user', 'marie.dupont']);
    if (run.exitCode !== 0) console.log(run.output);
    expect({ failed: run.failed, exit: run.exitCode }).toEqual({ failed: [], exit: 0 });
    expect(run.passed.sort()).toEqual([...automatedConnectorRules].sort());
    // The kit's import happened once, however often it was sent.
    const res = await fetch(`${urls.entA}/connector/v1/users/marie.dupont/contents`, { headers: { authorization: `Bearer ${DEMO.connectorTokenA}` } });
    const { items } = (await res.json()) as { items: any[] };
    expect(items.filter((c) => typeof c.importKey === 'string' && c.importKey.startsWith('conformance-kit/'))).toHaveLength(1);
  });
});
