import { requestedRange, resumeHeaders, servedRange, strongEtag } from './http-range';

const res = (status: number, headers: Record<string, string>) => new Response(status === 204 ? null : '', { status, headers });

describe('resumed downloads over HTTP', () => {
  it('asks for the rest only with an offset and a validator', () => {
    expect(resumeHeaders(undefined, 'if-range')).toEqual({});
    expect(resumeHeaders({ offset: 0, sourceTag: '"a"' }, 'if-range')).toEqual({});
    expect(resumeHeaders({ offset: 10 }, 'if-match')).toEqual({}); // no validator: never resume blind
    expect(resumeHeaders({ offset: 10, sourceTag: '"a"' }, 'if-range')).toEqual({ range: 'bytes=10-', 'if-range': '"a"' });
    expect(resumeHeaders({ offset: 10, sourceTag: '"a"' }, 'if-match')).toEqual({ range: 'bytes=10-', 'if-match': '"a"' });
  });

  it('keeps strong ETags only', () => {
    expect(strongEtag(res(200, { etag: '"abc"' }))).toBe('"abc"');
    expect(strongEtag(res(200, { etag: 'W/"abc"' }))).toBeUndefined();
    expect(strongEtag(res(200, { etag: 'abc' }))).toBeUndefined();
    expect(strongEtag(res(200, {}))).toBeUndefined();
  });

  it('reads where a 206 starts and the whole size, and refuses one that starts elsewhere', () => {
    expect(servedRange(res(206, { 'content-range': 'bytes 10-99/100' }), 10)).toEqual({ offset: 10, totalSize: 100 });
    expect(servedRange(res(206, { 'content-range': 'bytes 10-99/*' }), 10)).toEqual({ offset: 10 });
    expect(servedRange(res(206, { 'content-range': 'bytes 0-99/100' }), 10)).toEqual({ error: '206 starts at byte 0, asked 10' });
    expect(servedRange(res(206, {}), 10)).toHaveProperty('error');
    expect(servedRange(res(200, { 'content-length': '100' }), 10)).toEqual({ offset: 0, totalSize: 100 });
    expect(servedRange(res(200, {}), 0)).toEqual({ offset: 0 });
  });
});

describe('serving a resumable download (RFC 9110 §14)', () => {
  const etag = '"abc"';
  const ask = (range?: string, ifRange?: string, size = 1000) => requestedRange({ range, ifRange }, etag, size);

  it('answers the whole representation without Range, or when If-Range names another one', () => {
    expect(ask()).toEqual({ kind: 'whole' });
    expect(ask('bytes=10-', '"other"')).toEqual({ kind: 'whole' });
    expect(ask('bytes=10-', 'W/"abc"')).toEqual({ kind: 'whole' }); // a weak validator never matches
    expect(ask('bytes=10-', 'Sat, 01 Jan 2000 00:00:00 GMT')).toEqual({ kind: 'whole' }); // a date: our ETag is the validator
    expect(ask('items=0-1')).toEqual({ kind: 'whole' }); // unknown unit: ignored
    expect(ask('bytes=0-1,5-9')).toEqual({ kind: 'whole' }); // several ranges: the whole (allowed by §14.2)
    expect(ask('bytes=abc')).toEqual({ kind: 'whole' });
  });

  it('answers one satisfiable range, clamped to the representation', () => {
    expect(ask('bytes=0-499')).toEqual({ kind: 'partial', start: 0, end: 499 });
    expect(ask('bytes=500-', etag)).toEqual({ kind: 'partial', start: 500, end: 999 });
    expect(ask('bytes=900-5000')).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(ask('bytes=-100')).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(ask('bytes=-5000')).toEqual({ kind: 'partial', start: 0, end: 999 });
    expect(ask(' bytes = 1 - 2 ')).toEqual({ kind: 'partial', start: 1, end: 2 });
  });

  it('refuses what lies beyond the end (416)', () => {
    expect(ask('bytes=1000-')).toEqual({ kind: 'unsatisfiable' });
    expect(ask('bytes=-0')).toEqual({ kind: 'unsatisfiable' });
    expect(ask('bytes=5-4')).toEqual({ kind: 'whole' }); // invalid syntax, not unsatisfiable: ignored
    expect(ask('bytes=0-', undefined, 0)).toEqual({ kind: 'unsatisfiable' });
  });
});
