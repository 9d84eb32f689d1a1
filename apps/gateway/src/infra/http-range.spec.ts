import { resumeHeaders, servedRange, strongEtag } from './http-range';

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
