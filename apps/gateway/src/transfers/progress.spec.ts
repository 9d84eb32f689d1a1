import { ItemCounters, transferProgress } from './progress';

const MB = 1_000_000;
const at = (s: number) => new Date(Date.UTC(2026, 5, 20, 9, 0, s));

function item(partial: Partial<ItemCounters> & Pick<ItemCounters, 'itemId' | 'state'>): ItemCounters {
  return { bytesDone: 0, bytesTotal: null, since: null, sinceBytes: 0, ...partial };
}

describe('transferProgress', () => {
  it('departure staging: bytes from the counters of moving items, whole sizes for staged ones, refused items left out', () => {
    const p = transferProgress('DEPARTURE', 'STAGING', [
      item({ itemId: 'a', state: 'STAGED', bytesTotal: 20 * MB }),
      item({ itemId: 'b', state: 'TO_STAGE', bytesTotal: 80 * MB, bytesDone: 40 * MB, since: at(0), sinceBytes: 0 }),
      item({ itemId: 'c', state: 'REFUSED', bytesTotal: 5 * MB }),
    ], at(20));
    expect(p.items).toEqual({ done: 1, total: 2 });
    expect(p.bytes).toEqual({ done: 60 * MB, total: 100 * MB });
    expect(p.percent).toBe(60);
    // 40 MB in 20 s: 2 MB/s; 40 MB left → 20 s.
    expect(p.etaSeconds).toBe(20);
    expect(p.terminal).toBe(false);
    expect(p.perItem.find((i) => i.itemId === 'b')).toMatchObject({ bytesDone: 40 * MB, bytesTotal: 80 * MB, percent: 50 });
    expect(p.perItem.find((i) => i.itemId === 'a')).toMatchObject({ bytesDone: 20 * MB, percent: 100 });
  });

  it('a resumed attempt counts its rate from where it resumed, not from byte 0', () => {
    const p = transferProgress('DEPARTURE', 'STAGING', [
      item({ itemId: 'b', state: 'TO_STAGE', bytesTotal: 100 * MB, bytesDone: 60 * MB, since: at(0), sinceBytes: 50 * MB }),
    ], at(10));
    // 10 MB in 10 s since the resume: 1 MB/s; 40 MB left → 40 s.
    expect(p.etaSeconds).toBe(40);
    expect(p.percent).toBe(60);
  });

  it('no estimate before a second of data, nor when nothing moved, nor once settled', () => {
    expect(transferProgress('DEPARTURE', 'STAGING', [
      item({ itemId: 'b', state: 'TO_STAGE', bytesTotal: 100 * MB, bytesDone: 0, since: at(0) }),
    ], at(0)).etaSeconds).toBeNull();
    expect(transferProgress('DEPARTURE', 'STAGING', [
      item({ itemId: 'b', state: 'TO_STAGE', bytesTotal: 100 * MB, bytesDone: 10 * MB, since: at(0), sinceBytes: 10 * MB }),
    ], at(30)).etaSeconds).toBeNull();
    expect(transferProgress('DEPARTURE', 'ANSWERED', [
      item({ itemId: 'b', state: 'SELECTED', bytesTotal: 100 * MB }),
    ], at(30))).toMatchObject({ etaSeconds: null, percent: 0, items: { done: 0, total: 1 } });
  });

  it('a counter never shows more than the item holds, nor a percentage above 100', () => {
    const p = transferProgress('ARRIVAL', 'FETCHING', [
      item({ itemId: 'a', state: 'TO_FETCH', bytesTotal: 10 * MB, bytesDone: 16 * MB, since: at(0) }),
    ], at(5));
    expect(p.bytes.done).toBe(10 * MB);
    expect(p.percent).toBe(100);
    expect(p.perItem[0].percent).toBe(100);
  });

  it('arrival: fetched bytes count, items are done once imported or kept for download', () => {
    const p = transferProgress('ARRIVAL', 'IMPORTING', [
      item({ itemId: 'a', state: 'IMPORTED', bytesTotal: 10 * MB }),
      item({ itemId: 'b', state: 'FETCHED', bytesTotal: 30 * MB }),
      item({ itemId: 'c', state: 'AWAITING_MANUAL_DOWNLOAD', bytesTotal: 10 * MB }),
      item({ itemId: 'd', state: 'REFUSED', bytesTotal: 10 * MB }),
    ], at(5));
    expect(p.items).toEqual({ done: 2, total: 3 });
    expect(p.bytes).toEqual({ done: 50 * MB, total: 50 * MB });
    expect(p.percent).toBe(67); // items: 2 of 3 once every byte is here
  });

  it('settled states are terminal; a delivered departure all counted', () => {
    const p = transferProgress('DEPARTURE', 'CLEANED', [item({ itemId: 'a', state: 'IMPORTED', bytesTotal: 10 * MB })], at(5));
    expect(p).toMatchObject({ terminal: true, percent: 100, items: { done: 1, total: 1 }, etaSeconds: null });
    expect(transferProgress('DEPARTURE', 'CANCELLED', [], at(0)).terminal).toBe(true);
    // Over with an item that did not make it: 100 %, and the count says 1 of 2.
    expect(transferProgress('ARRIVAL', 'PARTIAL', [
      item({ itemId: 'a', state: 'IMPORTED', bytesTotal: 10 * MB }), item({ itemId: 'b', state: 'FAILED', bytesTotal: 10 * MB }),
    ], at(0))).toMatchObject({ percent: 100, items: { done: 1, total: 2 } });
    // Failed or cancelled half-way: the percentage stays where it stopped.
    expect(transferProgress('DEPARTURE', 'CANCELLED', [item({ itemId: 'a', state: 'TO_STAGE', bytesTotal: 10 * MB, bytesDone: 4 * MB })], at(0)).percent).toBe(40);
    expect(transferProgress('ARRIVAL', 'DONE', [], at(0)).terminal).toBe(true);
    expect(transferProgress('DEPARTURE', 'DELIVERED', [], at(0)).terminal).toBe(false);
  });

  it('unknown sizes: percentage from items, no bytes total invented', () => {
    const p = transferProgress('DEPARTURE', 'STAGING', [
      item({ itemId: 'a', state: 'STAGED', bytesTotal: null, bytesDone: 0 }),
      item({ itemId: 'b', state: 'TO_STAGE', bytesTotal: null, bytesDone: 3 * MB, since: at(0) }),
    ], at(5));
    expect(p.bytes.total).toBeNull();
    expect(p.percent).toBe(50);
    expect(p.etaSeconds).toBeNull();
  });
});
