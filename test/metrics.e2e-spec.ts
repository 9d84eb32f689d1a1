import { MatomoSim } from '@ent/dnma';
import { parsePrometheusText, sampleSum } from './support/prometheus';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * What an operator sees: /metrics of both gateways scraped before and after a real transfer
 * (real OIDC, Postgres, S3), with DNMA on at the departure and its Matomo failing, so that every
 * family named in the README moves or shows: jobs by kind and state, queue age, fetched bytes
 * and time, transfers, database and S3 status, DNMA main and dead-letter queues.
 */
jest.setTimeout(300_000);

const TOKEN_A = 'metrics-token-gateway-a-0123456789abcdef';
const TOKEN_B = 'metrics-token-gateway-b-0123456789abcdef';

describe('/metrics (Prometheus text format)', () => {
  let env: StackSession;
  let urls: StackSession['stack']['urls'];
  let matomo: MatomoSim;

  beforeAll(async () => {
    matomo = await MatomoSim.start();
    await matomo.setMode('fail500');
    env = await bootStack('metrics', {
      env: {
        'gateway-a': {
          METRICS_TOKEN: TOKEN_A,
          DNMA_MATOMO_URL: matomo.url,
          DNMA_SITE_ID: '42',
          DNMA_TOKEN_AUTH: 'token-auth-for-tests-0001',
          DNMA_HMAC_SECRET: 'hmac-secret-for-metrics-tests-0123456789',
          DNMA_EXPLOITANT: 'EXPLOITANT-TEST',
          DNMA_PLATEFORME: 'PLATEFORME-TEST',
          DNMA_OUTIL: 'PORTABILITE-ENT',
          DNMA_POLL_MS: '100',
        },
        'gateway-b': { METRICS_TOKEN: TOKEN_B },
      },
    });
    urls = env.stack.urls;
  });
  afterAll(async () => {
    await env?.close();
    await matomo?.stop();
  });

  async function scrape(base: string, token: string): Promise<{ text: string; samples: Map<string, number> }> {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    expect(res.status).toBe(200);
    const type = res.headers.get('content-type') ?? '';
    expect(type.split(';')[0]).toBe('text/plain');
    expect(type).toMatch(/;\s*version=0\.0\.4(;|$)/);
    return { text, samples: parsePrometheusText(text) };
  }

  it('is for the operator only: no token or a wrong one gets 401 and no figure', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN_A}`, 'Bearer wrong-token', `Basic ${Buffer.from(`x:${TOKEN_B}`).toString('base64')}`]) {
      const res = await fetch(`${urls.gatewayB}/metrics`, { headers: authorization ? { authorization } : {} });
      const body = await res.text();
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(body).not.toContain('ent_gateway_');
    }
  });

  it('moves with a real transfer: jobs, fetched bytes and time, transfers, queues; database and S3 up', async () => {
    const beforeA = await scrape(urls.gatewayA, TOKEN_A);
    const beforeB = await scrape(urls.gatewayB, TOKEN_B);
    expect(beforeA.samples.get('ent_gateway_database_up')).toBe(1);
    expect(beforeA.samples.get('ent_gateway_s3_up')).toBe(1);
    expect(beforeB.samples.get('ent_gateway_database_up')).toBe(1);
    expect(beforeB.samples.get('ent_gateway_dnma_enabled')).toBe(0);
    expect(beforeA.samples.get('ent_gateway_dnma_enabled')).toBe(1);
    for (const family of ['ent_gateway_jobs', 'ent_gateway_job_queue_age_seconds', 'ent_gateway_fetch_bytes_total', 'ent_gateway_outbound_errors_total', 'ent_gateway_dnma_queue']) {
      expect(beforeB.text).toContain(`# TYPE ${family} `);
    }

    // A real transfer of Marie's PDF, A → B, imported at her login at B, receipted and cleaned at A.
    const atA = await TeacherClient.login(urls.gatewayA, 'marie.dupont', 'demo-marie');
    const pdf = (await atA.json('GET', '/api/contents')).items.find((c: any) => c.category === 'STOCKAGE_PARTAGE');
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [pdf.id] });
    await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('departure DELIVERED', async () => ['DELIVERED', 'RECEIPTED', 'CLEANED'].includes((await atA.json('GET', `/api/transfers/${draft.id}`)).state));
    const atB = await TeacherClient.login(urls.gatewayB, 'marie.dupont', 'demo-marie');
    const received = await waitUntil('arrival DONE', async () => {
      const r = await atB.json('GET', `/api/received/${draft.id}`);
      return r.state === 'DONE' && r;
    });
    await waitUntil('departure CLEANED', async () => (await atA.json('GET', `/api/transfers/${draft.id}`)).state === 'CLEANED');
    const pdfBytes = received.items.find((i: any) => i.itemId === pdf.id).sizeBytes as number;
    expect(pdfBytes).toBeGreaterThan(0);
    // The teacher pages at A were tagged for DNMA; Matomo answers 500, so hits reach the dead-letter queue.
    const afterA = await waitUntil('DNMA hits dead-lettered', async () => {
      const s = await scrape(urls.gatewayA, TOKEN_A);
      return (s.samples.get('ent_gateway_dnma_queue{queue="dead_letter"}') ?? 0) > 0 && s;
    });
    // Nothing left to do: no runnable job waits on either side (the expiry jobs are due in 14 days).
    const drained = (s: Map<string, number>) => [...s].every(([key, value]) => !key.startsWith('ent_gateway_job_queue_age_seconds{') || value === 0);
    const afterB = await waitUntil('arrival queue drained', async () => {
      const s = await scrape(urls.gatewayB, TOKEN_B);
      return drained(s.samples) && s;
    });
    expect(drained((await scrape(urls.gatewayA, TOKEN_A)).samples)).toBe(true);

    const moved = (before: Map<string, number>, after: Map<string, number>, name: string, labels: Record<string, string> = {}) =>
      sampleSum(after, name, labels) - sampleSum(before, name, labels);

    // Arrival: every byte of the item (content, metadata record, index files) was pulled from ent-a.
    expect(moved(beforeB.samples, afterB.samples, 'ent_gateway_fetch_bytes_total', { peer: 'ent-a' })).toBeGreaterThanOrEqual(pdfBytes);
    expect(moved(beforeB.samples, afterB.samples, 'ent_gateway_fetch_seconds_total', { peer: 'ent-a' })).toBeGreaterThan(0);
    expect(moved(beforeB.samples, afterB.samples, 'ent_gateway_fetches_total', { peer: 'ent-a', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(moved(beforeB.samples, afterB.samples, 'ent_gateway_jobs', { kind: 'arrival.fetch-object', state: 'DONE' })).toBeGreaterThanOrEqual(1);
    expect(moved(beforeB.samples, afterB.samples, 'ent_gateway_jobs', { kind: 'arrival.import-item', state: 'DONE' })).toBe(1);
    expect(moved(beforeB.samples, afterB.samples, 'ent_gateway_jobs', { kind: 'arrival.send-receipt', state: 'DONE' })).toBe(1);
    expect(moved(beforeB.samples, afterB.samples, 'ent_gateway_transfers', { role: 'ARRIVAL', state: 'DONE' })).toBe(1);
    // Departure: staged, delivered, cleaned.
    expect(moved(beforeA.samples, afterA.samples, 'ent_gateway_jobs', { kind: 'departure.stage-item', state: 'DONE' })).toBe(1);
    expect(moved(beforeA.samples, afterA.samples, 'ent_gateway_jobs', { kind: 'departure.deliver', state: 'DONE' })).toBe(1);
    expect(moved(beforeA.samples, afterA.samples, 'ent_gateway_transfers', { role: 'DEPARTURE', state: 'CLEANED' })).toBe(1);
    expect(afterA.samples.get('ent_gateway_dnma_oldest_hit_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(afterA.samples.get('ent_gateway_database_up')).toBe(1);
    expect(afterB.samples.get('ent_gateway_s3_up')).toBe(1);
    // No peer error happened: the family is declared but no series was counted.
    expect(sampleSum(afterB.samples, 'ent_gateway_outbound_errors_total')).toBe(0);
  });
});
