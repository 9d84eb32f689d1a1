import {
  CapabilitiesDocument,
  ContentCategory,
  DECISION_REASONS,
  ITEM_DECISIONS,
  ItemDecision,
  Offer,
  OfferedFormat,
  OfferItem,
} from '@ent/contract';
import { ConverterDescriptor, DEFAULT_CONVERTERS, toContractConverter } from './converters';
import { NegotiationInputError } from './errors';
import { negotiate, NegotiationCapabilities, NegotiationInput } from './negotiate';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const NOW = new Date('2025-06-30T08:15:00.000Z');
const OFFER_ID = '3f1c2a9e-5b7d-4c1e-9a2f-0d6b8e4c7a11';

// ------------------------------------------------------------ builders (real contract types)

function fmt(format: string, sizeBytes = 10 * MiB, mediaType = 'application/zip'): OfferedFormat {
  return { format, mediaType, sizeBytes };
}

function item(itemId: string, category: ContentCategory, formats: OfferedFormat[]): OfferItem {
  return { itemId, title: `Contenu ${itemId}`, category, formats };
}

function offerOf(items: OfferItem[]): Offer {
  return {
    offerId: OFFER_ID,
    contractVersion: '1',
    departure: { entId: 'ent-a', uai: '0750001A' },
    arrival: { uai: '0690002B' },
    owner: { identityClaim: 'sub', identity: 'f:12345' },
    expiresAt: '2025-07-30T00:00:00Z',
    items,
  };
}

type Imports = Partial<Record<ContentCategory, (string | { format: string; mediaTypes?: string[] })[]>>;

function capabilities(imports: Imports, opts: { refused?: ContentCategory[]; maxItemBytes?: number } = {}): CapabilitiesDocument {
  return {
    contractVersion: '1',
    entId: 'ent-b',
    categories: Object.entries(imports).map(([category, list]) => ({
      category: category as ContentCategory,
      imports: list!.map((x) => (typeof x === 'string' ? { format: x } : x)),
    })),
    refusedCategories: opts.refused ?? [],
    maxItemBytes: opts.maxItemBytes ?? 5 * GiB,
    converters: DEFAULT_CONVERTERS.map(toContractConverter),
  };
}

function run(
  items: OfferItem[],
  caps: NegotiationCapabilities,
  converters: readonly ConverterDescriptor[] = DEFAULT_CONVERTERS,
): ItemDecision[] {
  return negotiate({ offer: offerOf(items), capabilities: caps, converters, arrivalEntId: 'ent-b', now: NOW }).items;
}

/** The one decision for a single-item offer. */
function decide(formats: OfferedFormat[], caps: NegotiationCapabilities, converters?: readonly ConverterDescriptor[], category: ContentCategory = 'PARCOURS_PEDAGOGIQUE'): ItemDecision {
  const items = run([item('i1', category, formats)], caps, converters);
  expect(items).toHaveLength(1);
  return items[0];
}

function conv(id: string, from: string, to: string, cost: number, lossCodes: string[] = []): ConverterDescriptor {
  return { id, from, to, cost, losses: lossCodes.map((code) => ({ code, message: `Message ${code}` })) };
}

const CC13_ONLY = capabilities({ PARCOURS_PEDAGOGIQUE: ['imscc-1.3'] });

// ------------------------------------------------------------ the answer envelope

describe('negotiate — answer envelope', () => {
  it('echoes the offer id, names the arrival, stamps answeredAt from `now`, keeps item order', () => {
    const answer = negotiate({
      offer: offerOf([
        item('z-last-alphabetically', 'PARCOURS_PEDAGOGIQUE', [fmt('imscc-1.3')]),
        item('a-first', 'COURRIER_ELECTRONIQUE', [fmt('mbox')]),
        item('m-middle', 'CAHIER_TEXTES', [fmt('nope')]),
      ]),
      capabilities: CC13_ONLY,
      converters: DEFAULT_CONVERTERS,
      arrivalEntId: 'ent-b',
      now: NOW,
    });
    expect(answer.offerId).toBe(OFFER_ID);
    expect(answer.arrivalEntId).toBe('ent-b');
    expect(answer.answeredAt).toBe('2025-06-30T08:15:00.000Z');
    expect(answer.items.map((d) => d.itemId)).toEqual(['z-last-alphabetically', 'a-first', 'm-middle']);
    expect(answer.items.map((d) => d.decision)).toEqual(['IMPORT', 'MANUAL', 'REFUSED']);
  });

  it('answers an empty offer with no decision (the validator requires at least one item)', () => {
    expect(run([], CC13_ONLY)).toEqual([]);
  });
});

// ------------------------------------------------------------ one scenario per reason code

describe('negotiate — every decision and reason code', () => {
  const caps = capabilities(
    { PARCOURS_PEDAGOGIQUE: ['imscc-1.3'], STOCKAGE_PARTAGE: [{ format: 'binary', mediaTypes: ['application/pdf'] }] },
    { refused: ['COURRIER_ELECTRONIQUE'], maxItemBytes: GiB },
  );
  const scenarios: {
    name: string;
    item: OfferItem;
    expected: Partial<ItemDecision> & Pick<ItemDecision, 'decision' | 'reasons'>;
  }[] = [
    {
      name: 'native import',
      item: item('native', 'PARCOURS_PEDAGOGIQUE', [fmt('imscc-1.3')]),
      expected: {
        decision: 'IMPORT',
        sourceFormat: 'imscc-1.3',
        targetFormat: 'imscc-1.3',
        losses: [],
        reasons: [{ code: 'NATIVE_IMPORT', message: "Votre ENT d'arrivée importe directement ce format (Common Cartridge 1.3)." }],
      },
    },
    {
      name: 'lossless conversion',
      item: item('convert', 'PARCOURS_PEDAGOGIQUE', [fmt('imscc-1.1')]),
      expected: {
        decision: 'CONVERT',
        sourceFormat: 'imscc-1.1',
        targetFormat: 'imscc-1.3',
        converters: ['imscc-1.1-to-imscc-1.3'],
        losses: [],
        reasons: [
          {
            code: 'CONVERSION_AVAILABLE',
            message:
              "Votre ENT d'arrivée n'importe pas directement ce format : le contenu sera converti de « Common Cartridge 1.1 » en « Common Cartridge 1.3 », puis importé. Aucune perte n’est prévue.",
          },
        ],
      },
    },
    {
      name: 'manual download',
      item: item('manual', 'PARCOURS_PEDAGOGIQUE', [fmt('moodle-mbz')]),
      expected: {
        decision: 'MANUAL',
        sourceFormat: 'moodle-mbz',
        losses: [],
        reasons: [
          {
            code: 'NO_IMPORTABLE_FORMAT',
            message:
              "Votre ENT d'arrivée ne sait pas importer ce contenu (Sauvegarde de cours Moodle (.mbz)). Il sera conservé sur votre nouvel ENT et téléchargeable manuellement.",
          },
        ],
      },
    },
    {
      name: 'unknown format',
      item: item('unknown', 'PARCOURS_PEDAGOGIQUE', [fmt('xyz')]),
      expected: {
        decision: 'REFUSED',
        losses: [],
        reasons: [{ code: 'UNKNOWN_FORMAT', message: "Ce format n'est pas reconnu : « xyz ». Le contenu ne peut pas être transféré." }],
      },
    },
    {
      name: 'too large',
      item: item('large', 'PARCOURS_PEDAGOGIQUE', [fmt('imscc-1.3', 1.5 * GiB)]),
      expected: {
        decision: 'REFUSED',
        losses: [],
        reasons: [
          {
            code: 'ITEM_TOO_LARGE',
            message:
              "Ce contenu est trop volumineux (1,5 Go) : votre ENT d'arrivée accepte au plus 1 Go par contenu. Il ne sera pas transféré.",
          },
        ],
      },
    },
    {
      name: 'refused category',
      item: item('refused', 'COURRIER_ELECTRONIQUE', [fmt('eml')]),
      expected: {
        decision: 'REFUSED',
        losses: [],
        reasons: [
          {
            code: 'CATEGORY_REFUSED',
            message: "Votre ENT d'arrivée n'accepte pas les contenus de type « courrier électronique ». Ce contenu ne sera pas transféré.",
          },
        ],
      },
    },
  ];

  it.each(scenarios)('$name → $expected.decision $expected.reasons.0.code', ({ item: it, expected }) => {
    const [decision] = run([it], caps);
    // Exact equality: no stray keys (e.g. `converters` outside CONVERT, `sourceFormat` on REFUSED).
    // No metadata record offered: none is taken.
    expect(decision).toEqual({ itemId: it.itemId, metadata: null, ...expected });
  });

  it('covers every decision kind and every reason code of the contract', () => {
    const answer = run(scenarios.map((s) => s.item), caps);
    expect(new Set(answer.map((d) => d.decision))).toEqual(new Set(ITEM_DECISIONS));
    expect(new Set(answer.flatMap((d) => d.reasons.map((r) => r.code)))).toEqual(new Set(DECISION_REASONS));
    for (const d of answer) expect(d.reasons).toHaveLength(1);
  });
});

// ------------------------------------------------------------ rule order

describe('negotiate — rules apply in order', () => {
  it('a refused category wins over a natively importable format', () => {
    const caps = capabilities({ CAHIER_TEXTES: ['ical'] }, { refused: ['CAHIER_TEXTES'] });
    expect(decide([fmt('ical')], caps, undefined, 'CAHIER_TEXTES').reasons[0].code).toBe('CATEGORY_REFUSED');
  });

  it('a refused category wins over unknown and oversized formats', () => {
    const caps = capabilities({}, { refused: ['GESTION_TEMPS'], maxItemBytes: 1 });
    expect(decide([fmt('xyz', 10)], caps, undefined, 'GESTION_TEMPS').reasons[0].code).toBe('CATEGORY_REFUSED');
    expect(decide([fmt('ical', 10)], caps, undefined, 'GESTION_TEMPS').reasons[0].code).toBe('CATEGORY_REFUSED');
  });

  it('unknown formats come before size: an oversized unknown format is UNKNOWN_FORMAT', () => {
    const caps = capabilities({ PARCOURS_PEDAGOGIQUE: ['imscc-1.3'] }, { maxItemBytes: MiB });
    expect(decide([fmt('xyz', 10 * GiB)], caps).reasons[0].code).toBe('UNKNOWN_FORMAT');
  });

  it('a known but oversized format with a small unknown one is ITEM_TOO_LARGE (unknown formats do not count)', () => {
    const caps = capabilities({ PARCOURS_PEDAGOGIQUE: ['imscc-1.3'] }, { maxItemBytes: MiB });
    expect(decide([fmt('xyz', 10), fmt('imscc-1.3', 2 * MiB)], caps).reasons[0].code).toBe('ITEM_TOO_LARGE');
  });

  it('native import wins over a cheaper-looking conversion', () => {
    // imscc-1.1 is the departure's first choice and converts to 1.3 at cost 1; 1.3 is offered too.
    const d = decide([fmt('imscc-1.1'), fmt('imscc-1.3')], CC13_ONLY);
    expect(d).toMatchObject({ decision: 'IMPORT', sourceFormat: 'imscc-1.3' });
  });
});

// ------------------------------------------------------------ unknown formats

describe('negotiate — unknown formats', () => {
  it('ignores unknown offered formats when a known one exists', () => {
    const d = decide([fmt('imscc-9.9'), fmt('imscc-1.3')], CC13_ONLY);
    expect(d).toMatchObject({ decision: 'IMPORT', sourceFormat: 'imscc-1.3' });
  });

  it('names every unknown format once when none is known', () => {
    const d = decide([fmt('foo'), fmt('bar'), fmt('foo', 5)], CC13_ONLY);
    expect(d.reasons).toEqual([
      { code: 'UNKNOWN_FORMAT', message: 'Ces formats ne sont pas reconnus : « foo », « bar ». Le contenu ne peut pas être transféré.' },
    ]);
  });

  it('refuses an unregistered format even when the arrival claims to import it', () => {
    const caps = capabilities({ PARCOURS_PEDAGOGIQUE: ['proprietary-x'] });
    expect(decide([fmt('proprietary-x')], caps)).toMatchObject({ decision: 'REFUSED', reasons: [{ code: 'UNKNOWN_FORMAT' }] });
  });

  it('never picks an unknown format as the manual-download source', () => {
    const d = decide([fmt('proprietary-x'), fmt('h5p')], capabilities({}));
    expect(d).toMatchObject({ decision: 'MANUAL', sourceFormat: 'h5p' });
  });
});

// ------------------------------------------------------------ size

describe('negotiate — size limit', () => {
  const caps = capabilities({ PARCOURS_PEDAGOGIQUE: ['imscc-1.3'] }, { maxItemBytes: GiB });

  it.each([
    { size: GiB, expected: 'IMPORT' },
    { size: GiB + 1, expected: 'REFUSED' },
    { size: 0, expected: 'IMPORT' },
  ])('an item of $size bytes against a 1 GiB limit → $expected', ({ size, expected }) => {
    expect(decide([fmt('imscc-1.3', size)], caps).decision).toBe(expected);
  });

  it('never understates the item nor overstates the limit in the message', () => {
    expect(decide([fmt('imscc-1.3', GiB + 1)], caps).reasons[0].message).toContain('(1,1 Go) : votre ENT d\'arrivée accepte au plus 1 Go');
  });

  it('quotes the smallest offered size when every format is too large', () => {
    const d = decide([fmt('imscc-1.3', 3 * GiB), fmt('imscc-1.1', 1.5 * GiB), fmt('unknown-fmt', 1)], caps);
    expect(d.reasons[0].message).toContain('(1,5 Go)');
  });

  it('skips an oversized native format and converts a smaller one instead', () => {
    const d = decide([fmt('imscc-1.3', 2 * GiB), fmt('imscc-1.1', 100 * MiB)], caps);
    expect(d).toMatchObject({ decision: 'CONVERT', sourceFormat: 'imscc-1.1', targetFormat: 'imscc-1.3' });
  });

  it('keeps for manual download the first format that fits, not the departure\'s first', () => {
    const d = decide([fmt('moodle-mbz', 2 * GiB), fmt('h5p', 10 * MiB), fmt('qti-2.1', MiB)], caps);
    expect(d).toMatchObject({ decision: 'MANUAL', sourceFormat: 'h5p' });
  });

  it.each([Number.POSITIVE_INFINITY, Number.NaN, -1])('treats maxItemBytes=%p as no limit', (maxItemBytes) => {
    const d = decide([fmt('imscc-1.3', 40 * GiB)], { ...CC13_ONLY, maxItemBytes });
    expect(d.decision).toBe('IMPORT');
  });

  it('with maxItemBytes=0 only empty items fit', () => {
    const zero = { ...CC13_ONLY, maxItemBytes: 0 };
    expect(decide([fmt('imscc-1.3', 0)], zero).decision).toBe('IMPORT');
    expect(decide([fmt('imscc-1.3', 1)], zero).reasons[0].message).toContain('(1 octet)');
  });
});

// ------------------------------------------------------------ native import and preference

describe('negotiate — native import and preference order', () => {
  it.each([
    { arrival: ['imscc-1.3', 'imscc-1.1'], departure: ['imscc-1.1', 'imscc-1.3'], expected: 'imscc-1.3' },
    { arrival: ['imscc-1.1', 'imscc-1.3'], departure: ['imscc-1.3', 'imscc-1.1'], expected: 'imscc-1.1' },
    { arrival: ['qti-2.1', 'h5p', 'imscc-1.3'], departure: ['imscc-1.3', 'h5p'], expected: 'h5p' },
  ])("the arrival's order wins: arrival $arrival, departure $departure → $expected", ({ arrival, departure, expected }) => {
    const d = decide(
      departure.map((f) => fmt(f)),
      capabilities({ PARCOURS_PEDAGOGIQUE: arrival }),
    );
    expect(d).toMatchObject({ decision: 'IMPORT', sourceFormat: expected, targetFormat: expected, losses: [] });
    expect(d.converters).toBeUndefined();
  });

  it("the departure's order breaks ties within one accepted format", () => {
    const caps = capabilities({ STOCKAGE_PARTAGE: ['binary'] });
    const d = decide([fmt('binary', MiB, 'application/msword'), fmt('binary', MiB, 'application/pdf')], caps, undefined, 'STOCKAGE_PARTAGE');
    expect(d.reasons[0].message).toBe("Votre ENT d'arrivée importe directement ce format (Fichier, application/msword).");
  });

  it('looks only at the capabilities of the item\'s own category', () => {
    const caps = capabilities({ CAHIER_TEXTES: ['imscc-1.3'], PARCOURS_PEDAGOGIQUE: ['h5p'] });
    expect(decide([fmt('imscc-1.3')], caps, [], 'PARCOURS_PEDAGOGIQUE').decision).toBe('MANUAL');
    expect(decide([fmt('imscc-1.3')], caps, [], 'CAHIER_TEXTES').decision).toBe('IMPORT');
  });

  it('merges several capability entries for one category, first entry first', () => {
    const caps: NegotiationCapabilities = {
      categories: [
        { category: 'PARCOURS_PEDAGOGIQUE', imports: [{ format: 'h5p' }] },
        { category: 'PARCOURS_PEDAGOGIQUE', imports: [{ format: 'imscc-1.3' }] },
      ],
      refusedCategories: [],
      maxItemBytes: GiB,
    };
    expect(decide([fmt('imscc-1.3'), fmt('h5p')], caps).sourceFormat).toBe('h5p');
    expect(decide([fmt('imscc-1.3')], caps).sourceFormat).toBe('imscc-1.3');
  });

  it('accepts duplicated offered formats and answers once', () => {
    const items = run([item('dup', 'PARCOURS_PEDAGOGIQUE', [fmt('imscc-1.3'), fmt('imscc-1.3', 20)])], CC13_ONLY);
    expect(items).toEqual([expect.objectContaining({ itemId: 'dup', decision: 'IMPORT', sourceFormat: 'imscc-1.3' })]);
  });
});

describe('negotiate — binary media-type filter', () => {
  const pdfOnly = capabilities({ STOCKAGE_PARTAGE: [{ format: 'binary', mediaTypes: ['application/pdf', 'image/png'] }] });
  const cases: { name: string; caps: CapabilitiesDocument; offered: OfferedFormat[]; decision: string; mediaType?: string }[] = [
    { name: 'listed media type', caps: pdfOnly, offered: [fmt('binary', MiB, 'image/png')], decision: 'IMPORT', mediaType: 'image/png' },
    { name: 'unlisted media type', caps: pdfOnly, offered: [fmt('binary', MiB, 'application/msword')], decision: 'MANUAL' },
    {
      name: 'second offered media type is listed',
      caps: pdfOnly,
      offered: [fmt('binary', MiB, 'application/msword'), fmt('binary', MiB, 'application/pdf')],
      decision: 'IMPORT',
      mediaType: 'application/pdf',
    },
    {
      name: 'listed media type, other case and parameters',
      caps: pdfOnly,
      offered: [fmt('binary', MiB, 'Application/PDF; version=1.7')],
      decision: 'IMPORT',
      mediaType: 'application/pdf',
    },
    {
      name: 'no list: any media type',
      caps: capabilities({ STOCKAGE_PARTAGE: ['binary'] }),
      offered: [fmt('binary', MiB, 'application/x-anything')],
      decision: 'IMPORT',
      mediaType: 'application/x-anything',
    },
    {
      name: 'empty list: no media type',
      caps: capabilities({ STOCKAGE_PARTAGE: [{ format: 'binary', mediaTypes: [] }] }),
      offered: [fmt('binary', MiB, 'application/pdf')],
      decision: 'MANUAL',
    },
  ];

  it.each(cases)('$name → $decision', ({ caps, offered, decision, mediaType }) => {
    const d = decide(offered, caps, undefined, 'STOCKAGE_PARTAGE');
    expect(d.decision).toBe(decision);
    expect(d.sourceFormat).toBe('binary');
    if (mediaType) expect(d.reasons[0].message).toContain(`(Fichier, ${mediaType})`);
  });

  it('applies media types to binary only', () => {
    const caps = capabilities({ PARCOURS_PEDAGOGIQUE: [{ format: 'imscc-1.3', mediaTypes: ['application/pdf'] }] });
    expect(decide([fmt('imscc-1.3', MiB, 'application/zip')], caps).decision).toBe('IMPORT');
  });

  it('never converts into a media-type-restricted binary (the output media type is unknown)', () => {
    const toBinary = [conv('h5p-render', 'h5p', 'binary', 1)];
    const restricted = capabilities({ PARCOURS_PEDAGOGIQUE: [{ format: 'binary', mediaTypes: ['application/pdf'] }] });
    const open = capabilities({ PARCOURS_PEDAGOGIQUE: ['binary'] });
    expect(decide([fmt('h5p')], restricted, toBinary).decision).toBe('MANUAL');
    expect(decide([fmt('h5p')], open, toBinary)).toMatchObject({ decision: 'CONVERT', converters: ['h5p-render'] });
  });
});

// ------------------------------------------------------------ conversion

describe('negotiate — conversion', () => {
  it('picks the cheapest path among several sources, whatever the departure prefers', () => {
    // ical→imscc-1.3 costs 5, imscc-1.1→imscc-1.3 costs 1.
    const d = decide([fmt('ical'), fmt('imscc-1.1')], CC13_ONLY, undefined, 'PARCOURS_PEDAGOGIQUE');
    expect(d).toMatchObject({ decision: 'CONVERT', sourceFormat: 'imscc-1.1', targetFormat: 'imscc-1.3', converters: ['imscc-1.1-to-imscc-1.3'] });
  });

  it('picks the cheapest path among several targets, even against the arrival\'s preference', () => {
    const caps = capabilities({ PARCOURS_PEDAGOGIQUE: ['imscc-1.1', 'imscc-1.2'] });
    const converters = [conv('to-11', 'imscc-1.3', 'imscc-1.1', 3, ['L11']), conv('to-12', 'imscc-1.3', 'imscc-1.2', 2, ['L12'])];
    expect(decide([fmt('imscc-1.3')], caps, converters)).toMatchObject({ targetFormat: 'imscc-1.2', converters: ['to-12'] });
  });

  it('reports the losses of a multi-step path in order, deduplicated by code', () => {
    const caps = capabilities({ PARCOURS_PEDAGOGIQUE: ['imscc-1.0'] });
    const converters = [
      conv('step1', 'imscc-1.3', 'imscc-1.2', 1, ['ASSIGNMENTS', 'LTI_ADVANTAGE']),
      conv('step2', 'imscc-1.2', 'imscc-1.1', 1, ['CURRICULUM', 'LTI_ADVANTAGE']),
      conv('step3', 'imscc-1.1', 'imscc-1.0', 1, ['QTI_FEATURES']),
      conv('direct-but-dear', 'imscc-1.3', 'imscc-1.0', 10, ['EVERYTHING']),
    ];
    const d = decide([fmt('imscc-1.3')], caps, converters);
    expect(d).toEqual({
      itemId: 'i1',
      metadata: null,
      decision: 'CONVERT',
      sourceFormat: 'imscc-1.3',
      targetFormat: 'imscc-1.0',
      converters: ['step1', 'step2', 'step3'],
      losses: ['ASSIGNMENTS', 'LTI_ADVANTAGE', 'CURRICULUM', 'QTI_FEATURES'].map((code) => ({ code, message: `Message ${code}` })),
      reasons: [
        {
          code: 'CONVERSION_AVAILABLE',
          message:
            "Votre ENT d'arrivée n'importe pas directement ce format : le contenu sera converti de « Common Cartridge 1.3 » en « Common Cartridge 1.0 », puis importé. Certains éléments ne seront pas conservés (voir le détail des pertes).",
        },
      ],
    });
  });

  it('reports the default converters\' French losses (cahier de textes as web pages)', () => {
    const d = decide([fmt('ical', MiB, 'text/calendar')], capabilities({ CAHIER_TEXTES: ['imscc-1.3'] }), DEFAULT_CONVERTERS, 'CAHIER_TEXTES');
    expect(d.decision).toBe('CONVERT');
    expect(d.losses.map((l) => l.code)).toEqual(['ICAL_CALENDAR_STRUCTURE_LOST']);
    expect(d.losses[0].message).toMatch(/calendrier/);
  });

  it.each([
    { steps: 4, decision: 'CONVERT' },
    { steps: 5, decision: 'MANUAL' },
  ])('a path of $steps steps → $decision (bound is 4)', ({ steps, decision }) => {
    // lheo-2.2 → f1 → … → imscc-1.3 through intermediate formats.
    const nodes = ['lheo-2.2', ...Array.from({ length: steps - 1 }, (_, i) => `step-${i + 1}`), 'imscc-1.3'];
    const chain = nodes.slice(1).map((to, i) => conv(`c${i}`, nodes[i], to, 1));
    const d = decide([fmt('lheo-2.2')], CC13_ONLY, chain);
    expect(d.decision).toBe(decision);
    if (decision === 'CONVERT') expect(d.converters).toHaveLength(4);
  });

  it('terminates on cycles and still finds the way out', () => {
    const cycle = [conv('m2e', 'mbox', 'eml', 1), conv('e2m', 'eml', 'mbox', 1), conv('e2v', 'eml', 'vcard', 1)];
    const caps = capabilities({ COURRIER_ELECTRONIQUE: ['vcard'] });
    expect(decide([fmt('mbox')], caps, cycle, 'COURRIER_ELECTRONIQUE')).toMatchObject({ decision: 'CONVERT', converters: ['m2e', 'e2v'] });
    const noExit = capabilities({ COURRIER_ELECTRONIQUE: ['ical'] });
    expect(decide([fmt('mbox')], noExit, cycle, 'COURRIER_ELECTRONIQUE').decision).toBe('MANUAL');
  });

  it('uses only the converters it is given', () => {
    expect(decide([fmt('imscc-1.1')], CC13_ONLY, []).decision).toBe('MANUAL');
    expect(decide([fmt('imscc-1.1')], CC13_ONLY, DEFAULT_CONVERTERS).decision).toBe('CONVERT');
  });

  it('does not start a conversion from an oversized format', () => {
    const caps = capabilities({ PARCOURS_PEDAGOGIQUE: ['imscc-1.3'] }, { maxItemBytes: GiB });
    expect(decide([fmt('imscc-1.1', 2 * GiB), fmt('moodle-mbz', MiB)], caps)).toMatchObject({ decision: 'MANUAL', sourceFormat: 'moodle-mbz' });
  });
});

// ------------------------------------------------------------ odd but valid input

describe('negotiate — odd but schema-valid input', () => {
  const everything = [
    item('a', 'PARCOURS_PEDAGOGIQUE', [fmt('imscc-1.3')]),
    item('b', 'CAHIER_TEXTES', [fmt('ical'), fmt('xyz')]),
    item('c', 'STOCKAGE_PARTAGE', [fmt('binary', 3, 'application/pdf')]),
  ];

  it('empty capabilities: every known item is kept for manual download', () => {
    const empty: NegotiationCapabilities = { categories: [], refusedCategories: [], maxItemBytes: 50 * GiB };
    expect(run(everything, empty).map((d) => [d.decision, d.sourceFormat])).toEqual([
      ['MANUAL', 'imscc-1.3'],
      ['MANUAL', 'ical'],
      ['MANUAL', 'binary'],
    ]);
  });

  it('a capabilities object with nothing in it still gets an answer', () => {
    const decisions = run(everything, {} as NegotiationCapabilities, []);
    expect(decisions.map((d) => d.decision)).toEqual(['MANUAL', 'MANUAL', 'MANUAL']);
  });

  it('a category entry with no imports behaves as an absent one', () => {
    const caps = capabilities({ PARCOURS_PEDAGOGIQUE: [] });
    expect(decide([fmt('imscc-1.1')], caps).decision).toBe('MANUAL');
  });

  it('does not mutate its input', () => {
    const input: NegotiationInput = {
      offer: offerOf(everything),
      capabilities: capabilities({ PARCOURS_PEDAGOGIQUE: ['imscc-1.3'], CAHIER_TEXTES: ['imscc-1.3'] }),
      converters: DEFAULT_CONVERTERS,
      arrivalEntId: 'ent-b',
      now: NOW,
    };
    const before = JSON.stringify(input);
    deepFreeze(input.offer);
    deepFreeze(input.capabilities);
    expect(() => negotiate(input)).not.toThrow();
    expect(JSON.stringify(input)).toBe(before);
  });

  it('is deterministic: same input, deep-equal answer; converter order does not matter', () => {
    const caps = capabilities({ PARCOURS_PEDAGOGIQUE: ['imscc-1.1', 'imscc-1.2'], CAHIER_TEXTES: ['imscc-1.3'] });
    const items = [
      item('x1', 'PARCOURS_PEDAGOGIQUE', [fmt('imscc-1.3')]),
      item('x2', 'CAHIER_TEXTES', [fmt('ical')]),
      item('x3', 'PARCOURS_PEDAGOGIQUE', [fmt('imscc-1.0')]),
    ];
    const input = (converters: readonly ConverterDescriptor[]): NegotiationInput => ({
      offer: offerOf(items),
      capabilities: caps,
      converters,
      arrivalEntId: 'ent-b',
      now: new Date(NOW.getTime()),
    });
    const first = negotiate(input(DEFAULT_CONVERTERS));
    expect(negotiate(input(DEFAULT_CONVERTERS))).toEqual(first);
    expect(negotiate(input([...DEFAULT_CONVERTERS].reverse()))).toEqual(first);
    // Serializable as is: no undefined-valued keys, nothing JSON would drop.
    expect(JSON.parse(JSON.stringify(first))).toStrictEqual(first);
    expect(first.items.map((d) => d.decision)).toEqual(['CONVERT', 'CONVERT', 'CONVERT']);
  });
});

// ------------------------------------------------------------ caller errors

describe('negotiate — caller errors', () => {
  it('throws a typed error on duplicate item ids instead of answering twice', () => {
    const items = [
      item('same', 'PARCOURS_PEDAGOGIQUE', [fmt('imscc-1.3')]),
      item('other', 'PARCOURS_PEDAGOGIQUE', [fmt('imscc-1.3')]),
      item('same', 'CAHIER_TEXTES', [fmt('ical')]),
    ];
    let error: unknown;
    try {
      run(items, CC13_ONLY);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NegotiationInputError);
    expect(error).toMatchObject({ name: 'NegotiationInputError', code: 'DUPLICATE_ITEM_ID', details: ['same'] });
  });

  it('throws a typed error on a malformed converter (gateway configuration)', () => {
    expect(() => run([item('a', 'PARCOURS_PEDAGOGIQUE', [fmt('imscc-1.1')])], CC13_ONLY, [conv('bad', 'imscc-1.1', 'imscc-1.3', 0)])).toThrow(
      expect.objectContaining({ code: 'INVALID_CONVERTER' }),
    );
  });

  it('throws a typed error on an invalid clock', () => {
    expect(() =>
      negotiate({ offer: offerOf([]), capabilities: CC13_ONLY, converters: [], arrivalEntId: 'ent-b', now: new Date('nope') }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

// ------------------------------------------------------------ metadata (#12: negotiated, never discovered after the content went in)

describe('negotiate — the metadata record that goes with an item', () => {
  const PDF = { format: 'binary', mediaTypes: ['application/pdf'] };
  const scolomfrOnly: NegotiationCapabilities = { ...capabilities({ STOCKAGE_PARTAGE: [PDF] }), metadataImports: ['scolomfr-3.1'] };
  const withMetadata = (formats: string[], category: ContentCategory = 'STOCKAGE_PARTAGE', content = fmt('binary', MiB, 'application/pdf')): OfferItem => ({
    ...item('doc', category, [content]),
    ...(formats.length ? { metadata: formats.map((format) => ({ format })) } : {}),
  });
  const metadataOf = (it: OfferItem, caps: NegotiationCapabilities = scolomfrOnly) => run([it], caps)[0].metadata;
  const CROSSWALK_LOSSES = ['SCHEMAORG_PROPERTIES_DROPPED', 'SCHEMAORG_VALUES_NOT_IN_VOCABULARIES', 'SCHEMAORG_VALUES_APPROXIMATED'];

  it('takes ScoLOMFR as it is when the ENT takes ScoLOMFR', () => {
    expect(metadataOf(withMetadata(['scolomfr-3.1']))).toEqual({ format: 'scolomfr-3.1', targetFormat: 'scolomfr-3.1', losses: [] });
  });

  it('takes schema.org only through the crosswalk to ScoLOMFR, with its losses announced', () => {
    const m = metadataOf(withMetadata(['schemaorg-jsonld']));
    expect(m).toMatchObject({ format: 'schemaorg-jsonld', targetFormat: 'scolomfr-3.1', converters: ['schemaorg-jsonld-to-scolomfr-3.1'] });
    expect(m!.losses.map((l) => l.code)).toEqual(CROSSWALK_LOSSES);
    expect(m!.losses[0].message).toMatch(/ScoLOMFR/);
  });

  it('prefers the format the ENT takes natively, whatever the order the departure lists them in', () => {
    expect(metadataOf(withMetadata(['schemaorg-jsonld', 'scolomfr-3.1']))).toEqual({ format: 'scolomfr-3.1', targetFormat: 'scolomfr-3.1', losses: [] });
    const both: NegotiationCapabilities = { ...scolomfrOnly, metadataImports: ['schemaorg-jsonld', 'scolomfr-3.1'] };
    expect(metadataOf(withMetadata(['scolomfr-3.1', 'schemaorg-jsonld']), both)).toEqual({ format: 'schemaorg-jsonld', targetFormat: 'schemaorg-jsonld', losses: [] });
  });

  it('takes none when none is offered, none can reach the ENT, or the item does not enter the ENT', () => {
    expect(metadataOf(withMetadata([]))).toBeNull();
    expect(metadataOf(withMetadata(['lom-unknown-x']))).toBeNull();
    // The ENT takes no metadata record at all (or says nothing about it).
    expect(metadataOf(withMetadata(['scolomfr-3.1']), capabilities({ STOCKAGE_PARTAGE: [PDF] }))).toBeNull();
    // Without the crosswalk among the converters, schema.org cannot become ScoLOMFR.
    expect(run([withMetadata(['schemaorg-jsonld'])], scolomfrOnly, DEFAULT_CONVERTERS.filter((c) => c.to !== 'scolomfr-3.1'))[0].metadata).toBeNull();
    // MANUAL: kept for download, never imported; REFUSED: not transferred.
    const manual = run([withMetadata(['scolomfr-3.1'], 'STOCKAGE_PARTAGE', fmt('moodle-mbz'))], scolomfrOnly)[0];
    expect(manual.decision).toBe('MANUAL');
    expect(manual.metadata).toBeNull();
    const refused = run([withMetadata(['scolomfr-3.1'], 'STOCKAGE_PARTAGE', fmt('binary', 10 * GiB, 'application/pdf'))], scolomfrOnly)[0];
    expect(refused.decision).toBe('REFUSED');
    expect(refused.metadata).toBeNull();
  });
});
