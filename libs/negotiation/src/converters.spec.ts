import {
  collectLosses,
  ConverterDescriptor,
  ConverterGraph,
  DEFAULT_CONVERTERS,
  MAX_CONVERSION_STEPS,
  toContractConverter,
} from './converters';
import { NegotiationInputError } from './errors';
import { isKnownFormat } from './formats';

/** Converter `from→to` with id `id` (defaults to `from>to`). */
function edge(from: string, to: string, cost = 1, id = `${from}>${to}`, lossCodes: string[] = []): ConverterDescriptor {
  return { id, from, to, cost, losses: lossCodes.map((code) => ({ code, message: `perte ${code}` })) };
}

function ids(graph: ConverterGraph, sources: string[], targets: string[], maxSteps?: number): string[] | undefined {
  return graph.findCheapestPath(sources, targets, maxSteps === undefined ? {} : { maxSteps })?.converterIds.slice();
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe('ConverterGraph.findCheapestPath', () => {
  it('takes a cheaper two-step path over a dearer direct converter', () => {
    const g = new ConverterGraph([edge('a', 'b', 1), edge('b', 'c', 1), edge('a', 'c', 3)]);
    const path = g.findCheapestPath(['a'], ['c']);
    expect(path).toMatchObject({ from: 'a', to: 'c', cost: 2, steps: 2, converterIds: ['a>b', 'b>c'] });
  });

  it.each([
    {
      name: 'equal cost: fewer steps wins',
      converters: [edge('a', 'b', 1), edge('b', 'c', 1), edge('a', 'c', 2)],
      expected: ['a>c'],
    },
    {
      name: 'equal cost and steps: smaller converter id wins',
      converters: [edge('a', 'c', 1, 'z-direct'), edge('a', 'c', 1, 'm-direct')],
      expected: ['m-direct'],
    },
    {
      name: 'ids are compared step by step (first differing id decides)',
      converters: [edge('a', 'b', 1, 'p1'), edge('b', 'c', 1, 'z2'), edge('a', 'x', 1, 'q1'), edge('x', 'c', 1, 'a2')],
      expected: ['p1', 'z2'],
    },
    {
      name: 'id order is by code unit, not locale (upper case before lower case)',
      converters: [edge('a', 'c', 1, 'b-conv'), edge('a', 'c', 1, 'B-conv')],
      expected: ['B-conv'],
    },
  ])('tie-break — $name', ({ converters, expected }) => {
    expect(ids(new ConverterGraph(converters), ['a'], ['c'])).toEqual(expected);
  });

  it('gives the same path whatever the order of the converters', () => {
    const converters = [
      edge('a', 'b', 1, 'k'),
      edge('b', 'c', 1, 'l'),
      edge('a', 'd', 1, 'a-first'),
      edge('d', 'c', 1, 'b-second'),
      edge('a', 'c', 2, 'direct'),
    ];
    const results = permutations(converters).map((p) => ids(new ConverterGraph(p), ['a'], ['c']));
    expect(results).toHaveLength(120);
    for (const r of results) expect(r).toEqual(['direct']);
  });

  it('searches from several sources to several targets and reports which pair it used', () => {
    const g = new ConverterGraph([edge('s1', 't1', 5), edge('s2', 't2', 2), edge('s2', 't1', 3)]);
    expect(g.findCheapestPath(['s1', 's2'], ['t1', 't2'])).toMatchObject({ from: 's2', to: 't2', cost: 2 });
  });

  it('never proposes more than MAX_CONVERSION_STEPS converters', () => {
    expect(MAX_CONVERSION_STEPS).toBe(4);
    const chain = (n: number) => Array.from({ length: n }, (_, i) => edge(`n${i}`, `n${i + 1}`));
    expect(ids(new ConverterGraph(chain(4)), ['n0'], ['n4'])).toEqual(['n0>n1', 'n1>n2', 'n2>n3', 'n3>n4']);
    expect(new ConverterGraph(chain(5)).findCheapestPath(['n0'], ['n5'])).toBeUndefined();
  });

  it('prefers a costlier path that fits the bound over a cheaper one that does not', () => {
    const g = new ConverterGraph([...['a>p', 'p>q', 'q>t'].map((s) => edge(s[0], s[2], 1, s)), edge('a', 't', 100, 'direct')]);
    expect(ids(g, ['a'], ['t'], 4)).toEqual(['a>p', 'p>q', 'q>t']);
    expect(ids(g, ['a'], ['t'], 2)).toEqual(['direct']);
  });

  it('bounds steps exactly: reaches an intermediate format by a dearer, shorter way when the cheap way is too long', () => {
    // Cheapest way to x takes 3 steps, leaving no room for x→y→t (2 more).
    const g = new ConverterGraph([
      edge('a', 'p1', 1),
      edge('p1', 'p2', 1),
      edge('p2', 'x', 1),
      edge('a', 'x', 10),
      edge('x', 'y', 1),
      edge('y', 't', 1),
    ]);
    expect(g.findCheapestPath(['a'], ['t'])).toMatchObject({ converterIds: ['a>x', 'x>y', 'y>t'], cost: 12, steps: 3 });
  });

  it.each([
    { maxSteps: 0, expected: undefined },
    { maxSteps: 1, expected: undefined },
    { maxSteps: 2, expected: ['a>b', 'b>c'] },
  ])('honours maxSteps=$maxSteps', ({ maxSteps, expected }) => {
    const g = new ConverterGraph([edge('a', 'b'), edge('b', 'c')]);
    expect(ids(g, ['a'], ['c'], maxSteps)).toEqual(expected);
  });

  it.each([-1, 5, 1.5, Number.NaN])('rejects maxSteps=%p', (maxSteps) => {
    const g = new ConverterGraph([edge('a', 'b')]);
    expect(() => g.findCheapestPath(['a'], ['b'], { maxSteps })).toThrow(NegotiationInputError);
  });

  it('handles cycles: finds the way out, and terminates when there is none', () => {
    const cyclic = [edge('a', 'b'), edge('b', 'a'), edge('b', 'c'), edge('c', 'a'), edge('c', 'c', 1, 'self-loop')];
    const g = new ConverterGraph(cyclic);
    expect(ids(g, ['a'], ['c'])).toEqual(['a>b', 'b>c']);
    expect(g.findCheapestPath(['a'], ['unreachable'])).toBeUndefined();
  });

  it('never visits a format twice even when revisiting would tie on cost', () => {
    const g = new ConverterGraph([edge('a', 'b', 1, 'ab'), edge('b', 'a', 1, 'ba'), edge('a', 't', 3, 'at'), edge('b', 't', 1, 'bt')]);
    const path = g.findCheapestPath(['a'], ['t']);
    expect(path?.converterIds).toEqual(['ab', 'bt']);
  });

  it('returns a zero-step path when a source is already a target (first such source wins)', () => {
    const g = new ConverterGraph([edge('a', 'b')]);
    expect(g.findCheapestPath(['x', 'b', 'a'], ['a', 'b'])).toMatchObject({ from: 'b', to: 'b', steps: 0, cost: 0, converterIds: [] });
  });

  it('returns undefined without targets or without a path', () => {
    const g = new ConverterGraph([edge('a', 'b')]);
    expect(g.findCheapestPath(['a'], [])).toBeUndefined();
    expect(g.findCheapestPath([], ['b'])).toBeUndefined();
    expect(g.findCheapestPath(['b'], ['a'])).toBeUndefined();
    expect(new ConverterGraph([]).findCheapestPath(['a'], ['b'])).toBeUndefined();
  });

  it('reports the union of the losses along the path, deduplicated by code, in path order', () => {
    const g = new ConverterGraph([edge('a', 'b', 1, 'ab', ['X', 'Y']), edge('b', 'c', 1, 'bc', ['Y', 'Z'])]);
    expect(g.findCheapestPath(['a'], ['c'])?.losses).toEqual([
      { code: 'X', message: 'perte X' },
      { code: 'Y', message: 'perte Y' },
      { code: 'Z', message: 'perte Z' },
    ]);
  });
});

describe('ConverterGraph.findCheapestPath against brute force', () => {
  /** Deterministic PRNG (LCG) so that a failure is reproducible from its seed. */
  function lcg(seed: number): () => number {
    let x = seed >>> 0;
    return () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return x / 2 ** 32;
    };
  }

  /** Every simple path of 0..maxSteps converters, ordered by (cost, steps, ids one by one, source rank). */
  function bruteForce(converters: ConverterDescriptor[], sources: string[], targets: string[], maxSteps: number) {
    const found: { from: string; to: string; ids: string[]; cost: number; rank: number }[] = [];
    const walk = (rank: number, from: string, node: string, visited: string[], path: ConverterDescriptor[]) => {
      if (targets.includes(node)) found.push({ from, to: node, ids: path.map((c) => c.id), cost: path.reduce((s, c) => s + c.cost, 0), rank });
      if (path.length === maxSteps) return;
      for (const c of converters) {
        if (c.from === node && !visited.includes(c.to)) walk(rank, from, c.to, [...visited, c.to], [...path, c]);
      }
    };
    [...new Set(sources)].forEach((s, rank) => walk(rank, s, s, [s], []));
    found.sort((a, b) => {
      if (a.cost !== b.cost) return a.cost - b.cost;
      if (a.ids.length !== b.ids.length) return a.ids.length - b.ids.length;
      for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i]) return a.ids[i] < b.ids[i] ? -1 : 1;
      return a.rank - b.rank;
    });
    return found[0];
  }

  it('agrees with exhaustive enumeration on 400 random graphs with cycles and many cost ties', () => {
    let compared = 0;
    let withPath = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const rnd = lcg(seed);
      const nodes = Array.from({ length: 3 + Math.floor(rnd() * 6) }, (_, i) => `f${i}`);
      const pick = () => nodes[Math.floor(rnd() * nodes.length)];
      const converters = Array.from({ length: Math.floor(rnd() * 18) }, (_, i) =>
        edge(pick(), pick(), 1 + Math.floor(rnd() * 3), `c${Math.floor(rnd() * 1000)}-${i}`),
      );
      const sources = [pick(), pick()];
      const targets = [pick(), pick()].filter((t) => !sources.includes(t));
      const maxSteps = Math.floor(rnd() * 5);
      const expected = bruteForce(converters, sources, targets, maxSteps);
      const actual = new ConverterGraph(converters).findCheapestPath(sources, targets, { maxSteps });
      const summary = actual && { from: actual.from, to: actual.to, ids: [...actual.converterIds], cost: actual.cost };
      expect({ seed, path: summary }).toEqual({ seed, path: expected && { from: expected.from, to: expected.to, ids: expected.ids, cost: expected.cost } });
      compared++;
      if (expected) withPath++;
    }
    expect(compared).toBe(400);
    // The generator must exercise both outcomes, or the comparison proves little.
    expect(withPath).toBeGreaterThan(100);
    expect(compared - withPath).toBeGreaterThan(50);
  });
});

describe('ConverterGraph construction', () => {
  const bad: [string, unknown][] = [
    ['zero cost', edge('a', 'b', 0)],
    ['negative cost', edge('a', 'b', -1)],
    ['NaN cost', edge('a', 'b', Number.NaN)],
    ['infinite cost', edge('a', 'b', Number.POSITIVE_INFINITY)],
    ['empty id', edge('a', 'b', 1, '')],
    ['missing losses', { id: 'x', from: 'a', to: 'b', cost: 1 }],
    ['loss without code', { id: 'x', from: 'a', to: 'b', cost: 1, losses: [{ message: 'm' }] }],
    ['missing target', { id: 'x', from: 'a', cost: 1, losses: [] }],
    ['null', null],
  ];
  it.each(bad)('rejects a converter with %s', (_name, converter) => {
    expect(() => new ConverterGraph([converter as ConverterDescriptor])).toThrow(
      expect.objectContaining({ name: 'NegotiationInputError', code: 'INVALID_CONVERTER' }),
    );
  });

  it('rejects two converters with the same id', () => {
    expect(() => new ConverterGraph([edge('a', 'b', 1, 'same'), edge('b', 'c', 1, 'same')])).toThrow(
      expect.objectContaining({ code: 'INVALID_CONVERTER', details: ['same'] }),
    );
  });

  it('lists outgoing edges sorted by id', () => {
    const g = new ConverterGraph([edge('a', 'c', 1, 'zz'), edge('a', 'b', 1, 'aa'), edge('b', 'c', 1, 'mm')]);
    expect(g.edgesFrom('a').map((e) => e.id)).toEqual(['aa', 'zz']);
    expect(g.edgesFrom('nowhere')).toEqual([]);
  });
});

describe('collectLosses', () => {
  it('keeps the first message of a repeated code', () => {
    expect(
      collectLosses([
        { losses: [{ code: 'A', message: 'premier' }] },
        { losses: [{ code: 'A', message: 'second' }, { code: 'B', message: 'b' }] },
      ]),
    ).toEqual([
      { code: 'A', message: 'premier' },
      { code: 'B', message: 'b' },
    ]);
  });
});

describe('DEFAULT_CONVERTERS', () => {
  const byId = new Map(DEFAULT_CONVERTERS.map((c) => [c.id, c]));

  it('is a valid converter list between registered formats', () => {
    expect(() => new ConverterGraph(DEFAULT_CONVERTERS)).not.toThrow();
    for (const c of DEFAULT_CONVERTERS) {
      expect([c.id, isKnownFormat(c.from), isKnownFormat(c.to)]).toEqual([c.id, true, true]);
      for (const loss of c.losses) {
        expect(loss.code).toMatch(/^[A-Z0-9_]+$/);
        expect(loss.message.length).toBeGreaterThan(20);
      }
    }
  });

  it.each([
    ['imscc-1.1', 'imscc-1.3', 1, []],
    ['imscc-1.3', 'imscc-1.1', 2, ['CC13_ASSIGNMENTS_DROPPED']],
    ['mbox', 'eml', 1, []],
    ['eml', 'mbox', 1, []],
    ['lheo-2.2', 'lheo-2.3', 1, []],
    ['lheo-2.3', 'lheo-2.2', 2, ['LHEO23_ELEMENTS_MOVED_TO_EXTRAS']],
    ['ical', 'imscc-1.3', 5, ['ICAL_CALENDAR_STRUCTURE_LOST']],
    ['scolomfr-3.1', 'schemaorg-jsonld', 2, ['SCOLOMFR_VOCABULARIES_APPROXIMATED']],
  ] as const)('%s → %s costs %d and loses at least %j', (from, to, cost, lossCodes) => {
    const c = byId.get(`${from}-to-${to}`);
    expect(c).toMatchObject({ from, to, cost });
    const codes = c!.losses.map((l) => l.code);
    expect(codes).toEqual(expect.arrayContaining([...lossCodes]));
    if (lossCodes.length === 0) expect(codes).toEqual([]);
  });

  it('upgrades Common Cartridge 1.0 to 1.3 without loss through the upgrade chain', () => {
    const path = new ConverterGraph(DEFAULT_CONVERTERS).findCheapestPath(['imscc-1.0'], ['imscc-1.3']);
    expect(path).toMatchObject({ converterIds: ['imscc-1.0-to-imscc-1.1', 'imscc-1.1-to-imscc-1.3'], cost: 2, losses: [] });
  });

  it('maps to the contract shape with loss codes only', () => {
    expect(toContractConverter(byId.get('imscc-1.3-to-imscc-1.1')!)).toEqual({
      id: 'imscc-1.3-to-imscc-1.1',
      from: 'imscc-1.3',
      to: 'imscc-1.1',
      cost: 2,
      losses: [
        'CC13_ASSIGNMENTS_DROPPED',
        'CC12_CURRICULUM_STANDARDS_DROPPED',
        'CC_QUESTION_TYPES_DROPPED',
        'CC_QUIZ_INTRO_DROPPED',
        'CC_OUTLINE_COMPLETED',
        'CC_MOODLE_FORUM_TOPIC_AS_INTRO',
        'CC_MOODLE_SECTION_TITLES',
      ],
    });
  });
});
