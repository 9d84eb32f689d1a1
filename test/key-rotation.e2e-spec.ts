import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { verifyCompactJws } from './support/jws';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * Signing keys rotate: the departure starts with key K1, then is restarted with
 * [K2, K1] (K2 signs, K1 stays published). The arrival accepts manifests signed
 * by the new key at once, and documents signed by the old key still verify.
 */
jest.setTimeout(300_000);

const newKey = () => JSON.parse(execFileSync(process.execPath, [resolve(__dirname, '..', 'dist/scripts/generate-signing-key.js')], { encoding: 'utf8' }));

describe('signing key rotation', () => {
  let env: StackSession;
  const k1 = newKey().keys[0];
  const k2 = newKey().keys[0];

  beforeAll(async () => {
    env = await bootStack('rotation', { env: { 'gateway-a': { SIGNING_JWKS: JSON.stringify({ keys: [k1] }) } } });
  });
  afterAll(async () => {
    await env?.close();
  });

  async function transfer(): Promise<{ id: string; manifest: string }> {
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const pdf = (await atA.json('GET', '/api/contents')).items.find((c: any) => c.category === 'STOCKAGE_PARTAGE');
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [pdf.id] });
    await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('delivered', async () => ['DELIVERED', 'RECEIPTED', 'CLEANED'].includes((await atA.json('GET', `/api/transfers/${draft.id}`)).state));
    await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    await waitUntil('cleaned', async () => (await atA.json('GET', `/api/transfers/${draft.id}`)).state === 'CLEANED');
    return { id: draft.id, manifest: (await atA.json('GET', `/api/transfers/${draft.id}/proof`)).manifest };
  }

  it('signs with the new key, keeps the old one verifiable, and the peer follows without downtime', async () => {
    const jwksA = `${env.stack.urls.gatewayA}/.well-known/ent-portability/jwks.json`;
    const first = await transfer();
    expect((await verifyCompactJws(first.manifest, jwksA)).header.kid).toBe(k1.kid);

    await env.stack.kill('gateway-a');
    env.stack.options.env!['gateway-a']!.SIGNING_JWKS = JSON.stringify({ keys: [k2, k1] });
    await env.stack.start('gateway-a');

    const keys = ((await (await fetch(jwksA)).json()) as any).keys;
    expect(keys.map((k: any) => k.kid)).toEqual([k2.kid, k1.kid]);
    // Only public parts are published.
    expect(keys.every((k: any) => k.d === undefined && k.x && k.y)).toBe(true);
    const second = await transfer();
    expect((await verifyCompactJws(second.manifest, jwksA)).header.kid).toBe(k2.kid);
    // The old manifest still verifies against the published keys.
    expect((await verifyCompactJws(first.manifest, jwksA)).payload.offerId).toBe(first.id);

    // Once K1 is withdrawn, what it signed no longer verifies.
    await env.stack.kill('gateway-a');
    env.stack.options.env!['gateway-a']!.SIGNING_JWKS = JSON.stringify({ keys: [k2] });
    await env.stack.start('gateway-a');
    await expect(verifyCompactJws(first.manifest, jwksA)).rejects.toThrow(/no key/);
  });
});
