import { freePort } from './support/ports';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';
import { VendorFront } from './support/vendor-front';

jest.setTimeout(240_000);

/**
 * #12: a gateway learns a peer's endpoints, JWKS URI and token audience from the peer's
 * discovery document, wherever the peer publishes them. Gateway B is exposed by another
 * "vendor" front under paths of its own, its discovery document at a URL that is not
 * /.well-known/ent-portability; A's registry names only that URL. B's registry entry for A uses
 * the older `baseUrl` form, which must keep working.
 */
describe('discovery read for real: a peer with its own paths', () => {
  let env: StackSession;
  let front: VendorFront;

  beforeAll(async () => {
    const gatewayA = await freePort();
    const gatewayB = await freePort();
    front = new VendorFront(gatewayB);
    await front.start();
    env = await bootStack('discovery', {
      ports: { gatewayA, gatewayB },
      publicUrls: { b: front.url },
      env: {
        'gateway-a': { PEERS: JSON.stringify([{ entId: 'ent-b', clientId: DEMO.clientB.id, discoveryUrl: front.discoveryUrl, uais: [DEMO.uaiB] }]) },
        'gateway-b': { PEERS: JSON.stringify([{ entId: 'ent-a', clientId: DEMO.clientA.id, baseUrl: `http://127.0.0.1:${gatewayA}`, uais: [DEMO.uaiA] }]) },
      },
    }).catch(async (err) => {
      await front.stop();
      throw err;
    });
  });
  afterAll(async () => {
    await env?.close();
    await front?.stop();
  });

  it('completes a transfer A → B through the endpoints B publishes, and never touches the default paths', async () => {
    const urls = env.stack.urls;
    const atA = await TeacherClient.login(urls.gatewayA, 'marie.dupont', 'demo-marie');
    const { items: contents } = await atA.json<{ items: any[] }>('GET', '/api/contents');
    const course = contents.find((c) => c.category === 'PARCOURS_PEDAGOGIQUE');
    const pdf = contents.find((c) => c.category === 'STOCKAGE_PARTAGE' && c.metadataFormats.includes('scolomfr-3.1'));
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [course.id, pdf.id] });
    const analysed = await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    expect(analysed.state).toBe('ANSWERED');
    expect(analysed.items.map((i: any) => i.decision)).toEqual(['IMPORT', 'IMPORT']);
    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('departure DELIVERED', async () => {
      const t = await atA.json('GET', `/api/transfers/${draft.id}`);
      return ['DELIVERED', 'RECEIPTED', 'CLEANED'].includes(t.state) && t;
    }, 120_000);

    // The teacher logs into B (behind the vendor front): the items are imported, a receipt goes back.
    const atB = await TeacherClient.login(front.url, 'marie.dupont', 'demo-marie');
    const received = await waitUntil('arrival DONE', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return ['DONE', 'PARTIAL', 'FAILED'].includes(t.state) && t;
    }, 120_000);
    expect(received.state).toBe('DONE');
    // A verified B's receipt with the keys at B's published jwksUri, then cleaned up.
    const cleaned = await waitUntil('departure CLEANED', async () => {
      const t = await atA.json('GET', `/api/transfers/${draft.id}`);
      return t.state === 'CLEANED' && t;
    }, 60_000);
    expect(cleaned.items.every((i: any) => i.state === 'IMPORTED')).toBe(true);

    const asked = (method: string, re: RegExp) => front.seen.filter((s) => s.method === method && re.test(s.path));
    expect(asked('GET', /^\/ent-b\/discovery$/).length).toBeGreaterThanOrEqual(1);
    expect(asked('POST', /^\/peer-api\/inbox$/)).toEqual([{ method: 'POST', path: '/peer-api/inbox', status: 200 }]);
    expect(asked('POST', new RegExp(`^/peer-api/inbox/${draft.id}/manifest$`)).map((s) => s.status)).toEqual([202]);
    expect(asked('GET', /^\/keys\/signing\.json$/).every((s) => s.status === 200)).toBe(true);
    expect(asked('GET', /^\/keys\/signing\.json$/).length).toBeGreaterThanOrEqual(1);
    expect(front.defaultPathHits()).toEqual([]);
  });
});
