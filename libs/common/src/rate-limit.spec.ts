import { rateLimit } from './rate-limit';

function call(mw: ReturnType<typeof rateLimit>, ip = '10.0.0.1', url = '/portability/v1/offers') {
  const headers: Record<string, string> = {};
  let status = 0;
  let body = '';
  let passed = false;
  const res: any = {
    setHeader: (k: string, v: string) => (headers[k] = v),
    status: (s: number) => ((status = s), res),
    type: () => res,
    send: (b: string) => (body = b),
  };
  mw({ ip, originalUrl: url, path: url, socket: {} } as any, res, () => (passed = true));
  return { passed, status, headers, body };
}

describe('rateLimit', () => {
  it('lets max requests through per window and client, then answers 429 problem+json with Retry-After', () => {
    let t = 1_000_000;
    const mw = rateLimit({ max: 2, windowMs: 60_000, applies: () => true, now: () => t });
    expect(call(mw).passed).toBe(true);
    expect(call(mw).passed).toBe(true);
    const third = call(mw);
    expect(third.passed).toBe(false);
    expect(third.status).toBe(429);
    expect(third.headers['Retry-After']).toBe('60');
    expect(JSON.parse(third.body).type).toBe('urn:ent-portability:problem:rate-limited');
    // Another client has its own budget; the window ends.
    expect(call(mw, '10.0.0.2').passed).toBe(true);
    t += 60_000;
    expect(call(mw).passed).toBe(true);
  });

  it('ignores requests it does not apply to', () => {
    const mw = rateLimit({ max: 0, windowMs: 1000, applies: (req) => req.path.startsWith('/portability/') });
    expect(call(mw, '1.1.1.1', '/health').passed).toBe(true);
    expect(call(mw, '1.1.1.1', '/portability/v1/offers').passed).toBe(false);
  });
});
