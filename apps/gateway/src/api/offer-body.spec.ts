import { BadRequestException } from '@nestjs/common';
import { CUSTOM_ROUTE_ARGS_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { createValidationPipe } from '@ent/common';
import { CONTENT_CATEGORIES, Offer, OFFER_LIMITS } from '@ent/contract';
import { OfferBodyPipe } from './offer-body';
import { PeerController } from './peer.controller';

// Only the controller's route metadata is read: its collaborators (and their ESM dependencies) stay out.
jest.mock('../peers/peer-auth.guard', () => ({ PeerAuthGuard: class {}, RequiresPeerScope: () => () => undefined }));
jest.mock('../transfers/arrival.service', () => ({ ArrivalService: class {} }));
jest.mock('../transfers/departure.service', () => ({ DepartureService: class {} }));

/*
 * Differential test of the offer's compiled validator (ajv, offer.schema.ts) against the
 * reference: the global ValidationPipe on the `Offer` class. A valid base offer and many
 * mutations of it, field by field and level by level, go through both; they must give the same
 * verdict, the same JSON for an accepted body (the offer's digest is taken from it), and the same
 * problem for a refused one: the same fields, each with the same messages.
 */

type Json = unknown;
const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
const jwt = (n: number) => `${'a'.repeat(n - 4)}.b.c`;

function baseOffer(): Record<string, Json> {
  return {
    offerId: '6f1c2b1e-8d3a-4c1e-9f2a-1b2c3d4e5f60',
    contractVersion: '1',
    departure: { entId: 'ent-a', uai: '0750001A' },
    arrival: { uai: '0690002B' },
    owner: { identityClaim: 'sub', identity: 'teacher-42', displayName: 'Marie Curie' },
    expiresAt: '2030-01-01T00:00:00Z',
    items: [
      {
        itemId: 'course:1', title: 'Optique — 4e', category: 'PARCOURS_PEDAGOGIQUE',
        formats: [{ format: 'imscc-1.3', mediaType: 'application/vnd.ims.imsccv1p3', sizeBytes: 1234 }, { format: 'binary', mediaType: 'application/pdf', sizeBytes: 0 }],
        metadata: [{ format: 'scolomfr-3.1' }],
      },
      { itemId: 'file.2', title: 'Fiche', category: 'STOCKAGE_PARTAGE', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: 99 }] },
    ],
    ownerProof: jwt(40),
  };
}

const item = (i: number) => ({ itemId: `i${i}`, title: `Item ${i}`, category: 'STOCKAGE_PARTAGE', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: i }] });
const format = (i: number) => ({ format: `f${i}`, mediaType: 'application/pdf', sizeBytes: i });

/** Sets (or with `undefined`, deletes) the value at a dotted path of a copy of the base offer. */
function withValue(path: string | string[], value: Json, base = baseOffer()): Record<string, Json> {
  const keys = typeof path === 'string' ? path.split('.') : path;
  let target = base as Record<string, Json>;
  for (const k of keys.slice(0, -1)) target = target[k] as Record<string, Json>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete target[last];
  else target[last] = clone(value);
  return base;
}

const LEAVES = [
  'offerId', 'contractVersion', 'departure.entId', 'departure.uai', 'arrival.uai', 'owner.identityClaim', 'owner.identity',
  'owner.displayName', 'expiresAt', 'ownerProof', 'items.0.itemId', 'items.0.title', 'items.0.category', 'items.1.formats.0.format',
  'items.0.formats.1.mediaType', 'items.0.formats.0.sizeBytes', 'items.0.metadata.0.format',
];
const OBJECTS = ['departure', 'arrival', 'owner', 'items.0', 'items.1.formats.0', 'items.0.metadata.0'];
const ARRAYS = ['items', 'items.0.formats', 'items.0.metadata'];
/** What any field may be sent instead of its value. */
const ANY_BAD: Json[] = [undefined, null, 0, 1.5, -1, true, '', ' ', 'x', [], ['x'], {}, { a: 1 }, '\u0000', 'a\nb', 'a\u007fb', '12', 'é'];

const cases: [string, Json][] = [['the base offer', baseOffer()]];
const add = (name: string, body: Json) => cases.push([name, body]);

for (const path of LEAVES) for (const v of ANY_BAD) add(`${path} = ${JSON.stringify(v)}`, withValue(path, v));
for (const path of [...OBJECTS, ...ARRAYS]) {
  for (const v of [undefined, null, 5, 'x', true, [], [1], [null], ['x'], [[]], [{}], [[{}]], [[1]], {}, { extra: 1 }]) add(`${path} = ${JSON.stringify(v)}`, withValue(path, v));
}
// Arrays in place of objects and objects in place of arrays, with valid content (class-transformer makes instances of both).
add('items = [[valid item]]', withValue('items', [[item(1)]]));
add('items = [[valid], [valid]] ', withValue('items', [[item(1)], [item(2), [item(3)]]]));
add('items = valid item (object)', withValue('items', item(1)));
add('items = {"0": item}', withValue('items', { 0: item(1) }));
add('formats = [[valid format]]', withValue('items.0.formats', [[format(1)]]));
add('formats = valid format (object)', withValue('items.0.formats', format(1)));
add('metadata = [[{format}]]', withValue('items.0.metadata', [[{ format: 'x' }]]));
add('metadata = {format}', withValue('items.0.metadata', { format: 'x' }));
add('departure = [valid party]', withValue('departure', [{ entId: 'ent-a', uai: '0750001A' }]));
add('departure = [[{}], 1]', withValue('departure', [[{}], 1]));
add('owner = [[{identity: 5}]]', withValue('owner', [[{ identity: 5 }]]));
add('arrival = [{uai: 1, x: 2}]', withValue('arrival', [{ uai: 1, x: 2 }]));
add('formats[0] = [format, 3]', withValue('items.0.formats.0', [format(1), 3]));

// Bounds.
const s = (n: number, c = 'a') => c.repeat(n);
const bounds: [string, Json[]][] = [
  ['items.0.title', [s(1), s(500), s(501), s(499) + '😀', s(500) + '😀', s(500) + '\uFE0F', s(499) + '\uFE0F\uFE0F', '😀'.repeat(250), '😀'.repeat(501), '\uFE0F', 'a\tb', 'a\u001fb', 'a\u0080b', '\u2028']],
  ['owner.identity', [s(255), s(256), s(255) + '\uFE0E', 'a\rb', '\u00a0']],
  ['owner.displayName', [s(200), s(201), 'Zoé\u0000', '']],
  ['ownerProof', [jwt(8192), jwt(8193), 'a.b', 'a.b.c.d', 'a.b.c\n', 'a+b.c.d', '']],
  ['items.0.itemId', [s(128), s(129), 'A', '.a', 'a b', 'a/b', 'a:b-c_d.e', '-a', 'é']],
  ['departure.entId', [s(64), s(65), 'Ent-a', '-ent', 'ent_a', '0']],
  ['departure.uai', ['0750001a', '075001A', ' 0750001A', '0750001AB', 7500010]],
  ['arrival.uai', ['0690002b', '']],
  ['owner.identityClaim', ['_', s(64), s(65), '1sub', 'sub-x', 'email']],
  ['items.1.formats.0.format', ['imscc-1.3', s(64), s(65), 'IMSCC', '.cc', 'a+b']],
  ['items.0.formats.1.mediaType', ['text/html', 'text/html; charset=utf-8', 'TEXT/HTML', 'a/' + s(127), 'a/' + s(128), s(64) + '/a', s(65) + '/a', 'text', 'text/']],
  ['items.0.formats.0.sizeBytes', [0, OFFER_LIMITS.maxDeclaredBytes, OFFER_LIMITS.maxDeclaredBytes + 1, 1.5, '12', -1, 1e300, -0, 2 ** 53]],
  ['items.0.metadata.0.format', ['schema.org', s(65), 'X']],
  ['items.0.category', [...CONTENT_CATEGORIES, 'stockage_partage', 'FILE']],
  ['contractVersion', ['1', 1, '2', ['1'], '1 ']],
  ['offerId', ['6F1C2B1E-8D3A-4C1E-9F2A-1B2C3D4E5F60', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'c232ab00-9414-11ec-b3c8-9e6bdeced846', '017f22e2-79b0-7cc3-98c4-dc0c0c07398f', '6f1c2b1e8d3a4c1e9f2a1b2c3d4e5f60', '{6f1c2b1e-8d3a-4c1e-9f2a-1b2c3d4e5f60}', '6f1c2b1e-8d3a-4c1e-9f2a-1b2c3d4e5f6']],
  ['expiresAt', ['2030-01-01', '2030-01-01T00:00:00', '2030-01-01T00:00:00.123+01:00', '2030-02-30T00:00:00Z', '2028-02-29T00:00:00Z', '2030-02-29T00:00:00Z', '2030-W01-1', '2030-001', '2030-01-01 00:00:00Z', '20300101T000000Z', '2030-13-01T00:00:00Z', 'tomorrow']],
  ['items', [[], Array.from({ length: 500 }, (_, i) => item(i)), Array.from({ length: 501 }, (_, i) => item(i))]],
  ['items.0.formats', [[], Array.from({ length: 10 }, (_, i) => format(i)), Array.from({ length: 11 }, (_, i) => format(i))]],
  ['items.0.metadata', [[], [{ format: 'a' }, { format: 'b' }, { format: 'c' }, { format: 'd' }], [{ format: 'a' }, { format: 'b' }, { format: 'c' }, { format: 'd' }, { format: 'e' }], null]],
];
for (const [path, values] of bounds) for (const v of values) add(`${path} = ${JSON.stringify(v).slice(0, 60)}`, withValue(path, v));

// Unknown properties at every level, with odd names.
for (const at of ['', 'departure', 'arrival', 'owner', 'items.0', 'items.0.formats.1', 'items.0.metadata.0']) {
  for (const key of ['extra', 'sha512', '5', 'a.b', 'items', '']) add(`unknown ${at}.${key}`, withValue([...(at ? at.split('.') : []), key], { nested: [1] }));
}
// Whole bodies.
for (const body of [undefined, null, {}, [], [baseOffer()], 'x', 5]) add(`body = ${JSON.stringify(body)?.slice(0, 40)}`, body);
// Optional fields absent, and a 500-item offer with errors all over it.
add('no optional field', withValue('ownerProof', undefined, withValue('owner.displayName', undefined, withValue('items.0.metadata', undefined))));
add('500 items, every 7th wrong', withValue('items', Array.from({ length: 500 }, (_, i) => (i % 7 ? item(i) : { ...item(i), formats: [{ ...format(i), sizeBytes: -i, sha512: 'x' }], title: '' }))));
add('key order differs from the classes', JSON.parse(JSON.stringify(baseOffer(), Object.keys(baseOffer()).reverse().concat(['sizeBytes', 'mediaType', 'format', 'uai', 'entId', 'identity', 'identityClaim', 'displayName', 'metadata', 'formats', 'category', 'title', 'itemId']))));

// Several mistakes at once, drawn with a fixed seed.
let seed = 17;
const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
const pool: [string, Json][] = [...LEAVES.flatMap((p) => ANY_BAD.map((v) => [p, v] as [string, Json])), ...bounds.flatMap(([p, vs]) => vs.slice(0, 6).map((v) => [p, v] as [string, Json]))];
for (let n = 0; n < 150; n++) {
  let body = baseOffer();
  const picked: string[] = [];
  for (let k = 0, m = 2 + rand(3); k < m; k++) {
    const [path, v] = pool[rand(pool.length)];
    try {
      body = withValue(path, v, body);
      picked.push(`${path}=${JSON.stringify(v)?.slice(0, 20)}`);
    } catch {
      // the path no longer exists (an earlier mistake replaced its parent)
    }
  }
  add(`combined: ${picked.join(', ')}`, body);
}

type Outcome = { accepted: string } | { problem: Record<string, unknown> };

async function reference(body: Json): Promise<Outcome> {
  try {
    return { accepted: JSON.stringify(await createValidationPipe().transform(clone(body), { type: 'body', metatype: Offer, data: undefined })) };
  } catch (err) {
    if (!(err instanceof BadRequestException)) throw err;
    return { problem: normalized(err) };
  }
}

function compiled(body: Json): Outcome {
  try {
    return { accepted: JSON.stringify(new OfferBodyPipe().transform(clone(body))) };
  } catch (err) {
    if (!(err instanceof BadRequestException)) throw err;
    return { problem: normalized(err) };
  }
}

/** The problem, its errors sorted by field (the order of the fields is not part of the contract). */
function normalized(err: BadRequestException): Record<string, unknown> {
  const { problem } = err.getResponse() as { problem: { errors: { field: string; messages: string[] }[]; detail: string } };
  const errors = [...problem.errors].sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
  const detail = problem.detail.split('; ').sort();
  return { ...problem, errors, detail, status: err.getStatus() };
}

describe('the offer\'s compiled validator agrees with the class-validator DTO', () => {
  it(`gives the same verdict, JSON and errors on ${cases.length} bodies`, async () => {
    const disagreements: string[] = [];
    let accepted = 0;
    for (const [name, body] of cases) {
      const [expected, actual] = [await reference(body), compiled(body)];
      if ('accepted' in expected) accepted++;
      try {
        expect(actual).toEqual(expected);
      } catch (err) {
        disagreements.push(`${name}:\n${(err as Error).message}`);
      }
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    // Both outcomes are exercised, in numbers.
    expect(accepted).toBeGreaterThan(80);
    expect(cases.length - accepted).toBeGreaterThan(600);
  });

  it('accepts the base offer as is, and refuses an unknown sha512 with the pipe\'s words', () => {
    expect(JSON.stringify(new OfferBodyPipe().transform(baseOffer()))).toBe(JSON.stringify(baseOffer()));
    const body = withValue('items.0.formats.0.sha512', 'abc');
    expect(() => new OfferBodyPipe().transform(body)).toThrow(BadRequestException);
    expect(compiled(body)).toEqual({
      problem: expect.objectContaining({ errors: [{ field: 'items[0].formats[0].sha512', messages: ['property sha512 should not exist'] }] }),
    });
  });
});

describe('PeerController.offer', () => {
  it('takes its body through OfferBody, a custom parameter the global ValidationPipe leaves alone', async () => {
    const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, PeerController, 'offer') as Record<string, { index: number; pipes: unknown[] }>;
    const [key, body] = Object.entries(args).find(([, a]) => a.index === 1)!;
    expect(key.includes(CUSTOM_ROUTE_ARGS_METADATA)).toBe(true);
    expect(body.pipes).toEqual([OfferBodyPipe]);
    const [, paramType] = Reflect.getMetadata('design:paramtypes', PeerController.prototype, 'offer') as unknown[];
    expect(paramType).toBe(Offer);
    // How Nest hands that value to the global pipe: untouched, even when it is wrong.
    const wrong = { offerId: 5 };
    await expect(createValidationPipe().transform(wrong, { type: 'custom', metatype: Offer, data: undefined })).resolves.toBe(wrong);
  });
});
