/**
 * Converters are edges between formats, each declaring what it loses
 * (ARCHITECTURE §3). `ConverterGraph` finds the cheapest bounded path from any
 * of several source formats to any of several target formats.
 *
 * Plain TypeScript: the only import from the contract is a type.
 */
import type { ConverterDescriptor as ContractConverterDescriptor } from '@ent/contract';
import { NegotiationInputError } from './errors';

/** What a conversion cannot keep: a stable code and a sentence for the teacher. */
export interface ConverterLoss {
  readonly code: string;
  /** In French, readable by a teacher. */
  readonly message: string;
}

export interface ConverterDescriptor {
  /** Unique among the converters given to one graph. */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** Relative cost, a finite number > 0. Paths add their costs. */
  readonly cost: number;
  readonly losses: readonly ConverterLoss[];
}

/** Longest conversion chain negotiation will ever propose. */
export const MAX_CONVERSION_STEPS = 4;

export interface ConversionPath {
  /** Source format the path starts from (one of the requested sources). */
  readonly from: string;
  /** Target format the path ends in (one of the requested targets). */
  readonly to: string;
  /** Converters in application order (empty when `from` is itself a target). */
  readonly converters: readonly ConverterDescriptor[];
  readonly converterIds: readonly string[];
  readonly cost: number;
  readonly steps: number;
  /** Union of the converters' losses, deduplicated by code, first occurrence kept. */
  readonly losses: readonly ConverterLoss[];
}

export interface PathOptions {
  /** Upper bound on the number of converters in the path; 0..MAX_CONVERSION_STEPS, default MAX_CONVERSION_STEPS. */
  readonly maxSteps?: number;
}

/** Union of losses in order, deduplicated by code (the first message for a code wins). */
export function collectLosses(converters: readonly Pick<ConverterDescriptor, 'losses'>[]): ConverterLoss[] {
  const seen = new Set<string>();
  const out: ConverterLoss[] = [];
  for (const c of converters) {
    for (const loss of c.losses) {
      if (seen.has(loss.code)) continue;
      seen.add(loss.code);
      out.push({ code: loss.code, message: loss.message });
    }
  }
  return out;
}

/** Compares strings by UTF-16 code units: locale-independent, hence deterministic everywhere. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Label {
  readonly node: string;
  readonly source: string;
  /** Rank of the source in the request: only breaks ties between zero-step paths. */
  readonly sourceRank: number;
  readonly cost: number;
  readonly edges: readonly ConverterDescriptor[];
}

/** Total order on labels: cost, then steps, then converter ids lexicographically, then source rank. */
function compareLabels(a: Label, b: Label): number {
  if (a.cost !== b.cost) return a.cost < b.cost ? -1 : 1;
  if (a.edges.length !== b.edges.length) return a.edges.length - b.edges.length;
  for (let i = 0; i < a.edges.length; i++) {
    const c = compareStrings(a.edges[i].id, b.edges[i].id);
    if (c !== 0) return c;
  }
  return a.sourceRank - b.sourceRank;
}

/** Minimal binary heap; the graphs are small but offers may hold hundreds of items. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly cmp: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.cmp(a[i], a[p]) >= 0) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop() as T;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.cmp(a[l], a[m]) < 0) m = l;
        if (r < a.length && this.cmp(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function validateConverter(c: unknown, index: number): ConverterDescriptor {
  const bad = (why: string): never => {
    throw new NegotiationInputError('INVALID_CONVERTER', `converter #${index} ${why}: ${describe(c)}`, [String(index)]);
  };
  if (typeof c !== 'object' || c === null) return bad('is not an object');
  const d = c as Partial<ConverterDescriptor>;
  if (typeof d.id !== 'string' || d.id.length === 0) return bad('has no id');
  if (typeof d.from !== 'string' || d.from.length === 0) return bad('has no "from" format');
  if (typeof d.to !== 'string' || d.to.length === 0) return bad('has no "to" format');
  if (typeof d.cost !== 'number' || !Number.isFinite(d.cost) || d.cost <= 0) return bad('must have a finite cost > 0');
  if (!Array.isArray(d.losses)) return bad('must list its losses (possibly none)');
  for (const loss of d.losses) {
    if (typeof loss !== 'object' || loss === null || typeof loss.code !== 'string' || loss.code.length === 0 || typeof loss.message !== 'string') {
      return bad('has a loss without code or message');
    }
  }
  return d as ConverterDescriptor;
}

/**
 * Directed multigraph of formats, one edge per converter.
 *
 * Path search is Dijkstra over (format, steps) states, so that the step bound
 * is exact (a cheaper but longer way to an intermediate format never hides a
 * costlier, shorter one that still fits). Paths are totally ordered by
 * (total cost, number of steps, converter ids compared one by one), which makes
 * the result independent of the order converters were given in. A path never
 * visits a format twice, so cycles in the graph are harmless.
 */
export class ConverterGraph {
  private readonly outgoing = new Map<string, ConverterDescriptor[]>();
  readonly converters: readonly ConverterDescriptor[];

  /** @throws NegotiationInputError `INVALID_CONVERTER` on a malformed descriptor or a duplicate id. */
  constructor(converters: readonly ConverterDescriptor[]) {
    if (!Array.isArray(converters)) {
      throw new NegotiationInputError('INVALID_CONVERTER', 'converters must be an array');
    }
    const ids = new Set<string>();
    const list: ConverterDescriptor[] = [];
    converters.forEach((raw, index) => {
      const c = validateConverter(raw, index);
      if (ids.has(c.id)) {
        throw new NegotiationInputError('INVALID_CONVERTER', `duplicate converter id "${c.id}"`, [c.id]);
      }
      ids.add(c.id);
      list.push(c);
      // A self-loop can never be part of a path that visits each format once.
      if (c.from === c.to) return;
      const edges = this.outgoing.get(c.from) ?? [];
      edges.push(c);
      this.outgoing.set(c.from, edges);
    });
    for (const edges of this.outgoing.values()) edges.sort((a, b) => compareStrings(a.id, b.id));
    this.converters = Object.freeze(list);
  }

  /** Converters leaving `format`, sorted by id. */
  edgesFrom(format: string): readonly ConverterDescriptor[] {
    return this.outgoing.get(format) ?? [];
  }

  /**
   * Cheapest path from any of `sources` to any of `targets` with at most
   * `maxSteps` converters, or `undefined` when there is none.
   *
   * A source that is itself a target gives a zero-step path (cost 0); among
   * several, the first in `sources` wins.
   */
  findCheapestPath(sources: Iterable<string>, targets: Iterable<string>, options: PathOptions = {}): ConversionPath | undefined {
    const maxSteps = options.maxSteps ?? MAX_CONVERSION_STEPS;
    if (!Number.isInteger(maxSteps) || maxSteps < 0 || maxSteps > MAX_CONVERSION_STEPS) {
      throw new NegotiationInputError('INVALID_ARGUMENT', `maxSteps must be an integer between 0 and ${MAX_CONVERSION_STEPS}, got ${maxSteps}`);
    }
    const targetSet = new Set(targets);
    if (targetSet.size === 0) return undefined;

    const heap = new MinHeap<Label>(compareLabels);
    const seenSources = new Set<string>();
    let rank = 0;
    for (const s of sources) {
      if (seenSources.has(s)) continue;
      seenSources.add(s);
      heap.push({ node: s, source: s, sourceRank: rank++, cost: 0, edges: [] });
    }

    // Fewest steps with which each format has been settled. A later label for the
    // same format is no better (labels pop in order); it is only worth expanding
    // when it used fewer steps (more budget left for the rest of the way). As costs
    // are positive, this also discards every path that comes back to a format it
    // already went through: the prefix that first reached it was settled with
    // fewer steps. Hence paths are simple and cycles cannot loop.
    const settledSteps = new Map<string, number>();
    for (let label = heap.pop(); label !== undefined; label = heap.pop()) {
      const steps = label.edges.length;
      const best = settledSteps.get(label.node);
      if (best !== undefined && best <= steps) continue;
      settledSteps.set(label.node, steps);

      if (targetSet.has(label.node)) return toPath(label);
      if (steps >= maxSteps) continue;

      for (const edge of this.edgesFrom(label.node)) {
        heap.push({
          node: edge.to,
          source: label.source,
          sourceRank: label.sourceRank,
          cost: label.cost + edge.cost,
          edges: [...label.edges, edge],
        });
      }
    }
    return undefined;
  }
}

function toPath(label: Label): ConversionPath {
  return {
    from: label.source,
    to: label.node,
    converters: label.edges,
    converterIds: label.edges.map((e) => e.id),
    cost: label.cost,
    steps: label.edges.length,
    losses: collectLosses(label.edges),
  };
}

/** The shape published in `GET /portability/v1/capabilities` (loss codes only). */
export function toContractConverter(c: ConverterDescriptor): ContractConverterDescriptor {
  return { id: c.id, from: c.from, to: c.to, cost: c.cost, losses: c.losses.map((l) => l.code) };
}

function converter(from: string, to: string, cost: number, losses: ConverterLoss[] = []): ConverterDescriptor {
  return Object.freeze({ id: `${from}-to-${to}`, from, to, cost, losses: Object.freeze(losses.map((l) => Object.freeze(l))) });
}

const CC13_ASSIGNMENTS_DROPPED: ConverterLoss = {
  code: 'CC13_ASSIGNMENTS_DROPPED',
  message:
    'Les devoirs à rendre (fonction propre à Common Cartridge 1.3) ne sont pas repris : leurs consignes restent lisibles, mais les élèves ne pourront plus y déposer leur travail.',
};

/**
 * Conversions the platform plans to run. The gateway decides which of them it
 * actually offers (and publishes them in its capabilities); negotiation only
 * ever uses the list it is given.
 */
export const DEFAULT_CONVERTERS: readonly ConverterDescriptor[] = Object.freeze([
  // Common Cartridge: upgrades are lossless, downgrades drop newer features.
  converter('imscc-1.0', 'imscc-1.1', 1),
  converter('imscc-1.1', 'imscc-1.2', 1),
  converter('imscc-1.1', 'imscc-1.3', 1),
  converter('imscc-1.2', 'imscc-1.3', 1),
  converter('imscc-1.3', 'imscc-1.2', 2, [CC13_ASSIGNMENTS_DROPPED]),
  // The target of a 1.1 conversion is mostly Moodle (no CC 1.3 importer): what its importer is
  // known to do with the package is announced too (issue 13, defects 9 and 10).
  converter('imscc-1.3', 'imscc-1.1', 2, [
    CC13_ASSIGNMENTS_DROPPED,
    {
      code: 'CC12_CURRICULUM_STANDARDS_DROPPED',
      message: 'Les références aux programmes officiels associées aux ressources du cours ne sont pas conservées.',
    },
    {
      code: 'CC_QUESTION_TYPES_DROPPED',
      message:
        'Les questions d\'un type que Common Cartridge ne connaît pas (appariement, réponse numérique, questions à plusieurs blancs…) ne sont pas reprises ; les autres questions des mêmes tests le sont.',
    },
    {
      code: 'CC_QUIZ_INTRO_DROPPED',
      message: 'Le texte de présentation placé en tête d\'un test n\'est pas repris (Common Cartridge 1.1 n\'a pas d\'emplacement pour lui) ; ses questions le sont.',
    },
    {
      code: 'CC_OUTLINE_COMPLETED',
      message:
        'Les ressources qui n\'étaient rangées dans aucune section du cours sont regroupées dans un dossier « Autres ressources » à la fin du cours, pour que Moodle et les autres plateformes les importent.',
    },
    {
      code: 'CC_MOODLE_FORUM_TOPIC_AS_INTRO',
      message:
        'Si votre nouvel ENT importe les cours dans Moodle : chaque forum y arrive sans message, le texte du sujet devenant la présentation du forum, et les fichiers liés depuis ce texte peuvent ne plus s\'ouvrir.',
    },
    {
      code: 'CC_MOODLE_SECTION_TITLES',
      message:
        'Si votre nouvel ENT importe les cours dans Moodle : le titre de chaque section y devient le texte de présentation de la section, qui reçoit un nom par défaut (« Section 1 »…).',
    },
  ]),
  // Mail: a mailbox is a list of messages and back.
  converter('mbox', 'eml', 1),
  converter('eml', 'mbox', 1),
  // Contacts: a webmail's address book (CSV) as vCard 4.0 (RFC 6350), which every mail client imports.
  converter('contacts-csv', 'vcard', 1, [
    {
      code: 'CONTACTS_ENT_FIELDS_DROPPED',
      message:
        'Les informations propres à l\u2019annuaire de votre ENT (profil, classes, identifiant ENT…) ne sont pas reprises dans votre carnet d\u2019adresses : le format vCard n\u2019a pas de champ pour elles.',
    },
    {
      code: 'CONTACTS_GROUPS_AS_CATEGORIES',
      message:
        'Vos groupes de contacts deviennent des catégories attachées à chaque contact : votre nouvelle messagerie les présentera comme des étiquettes ou des groupes, selon ce qu\u2019elle sait faire.',
    },
    {
      code: 'CONTACTS_LISTS_AS_GROUP_CARDS',
      message:
        'Vos listes de diffusion deviennent des fiches de groupe vCard avec l\u2019adresse de chaque membre ; certaines messageries n\u2019importent pas ces fiches, et les membres qui n\u2019avaient pas d\u2019adresse électronique ne sont pas repris.',
    },
    {
      code: 'CONTACTS_EMPTY_ROWS_SKIPPED',
      message: 'Les lignes du carnet d\u2019adresses sans nom, organisation ni adresse électronique ne sont pas reprises.',
    },
  ]),
  // LHÉO (offres de formation).
  converter('lheo-2.2', 'lheo-2.3', 1),
  converter('lheo-2.3', 'lheo-2.2', 2, [
    {
      code: 'LHEO23_ELEMENTS_MOVED_TO_EXTRAS',
      message:
        'Les informations propres à LHÉO 2.3 sont rangées dans des champs complémentaires (extras) : elles sont conservées mais votre nouvel ENT ne les affichera pas.',
    },
  ]),
  // Cahier de textes (iCalendar) published as a course of web pages.
  converter('ical', 'imscc-1.3', 5, [
    {
      code: 'ICAL_CALENDAR_STRUCTURE_LOST',
      message:
        'Le cahier de textes devient une suite de pages web : les séances et le travail à faire gardent leur texte et leur date écrite, mais ne sont plus placés dans un calendrier.',
    },
  ]),
  // Pedagogical metadata.
  converter('scolomfr-3.1', 'schemaorg-jsonld', 2, [
    {
      code: 'SCOLOMFR_VOCABULARIES_APPROXIMATED',
      message:
        'Les niveaux, disciplines et types de ressource ScoLOMFR sont traduits par les termes schema.org / LRMI les plus proches, parfois moins précis.',
    },
    {
      code: 'SCOLOMFR_UNMAPPED_ELEMENTS_DROPPED',
      message:
        'Les informations ScoLOMFR sans équivalent schema.org (historique des versions, détails des droits d\u2019usage…) ne sont pas reprises.',
    },
  ]),
  converter('schemaorg-jsonld', 'scolomfr-3.1', 2, [
    {
      code: 'SCHEMAORG_PROPERTIES_DROPPED',
      message: 'Des informations schema.org sans équivalent ScoLOMFR (accessibilité, médias associés, mots du sujet…) ne sont pas reprises.',
    },
    {
      code: 'SCHEMAORG_VALUES_NOT_IN_VOCABULARIES',
      message:
        'Des valeurs en texte libre (type de ressource, public, usage…) ne correspondent à aucun terme des vocabulaires ScoLOMFR et ne sont pas reprises.',
    },
    {
      code: 'SCHEMAORG_VALUES_APPROXIMATED',
      message: 'Certaines valeurs sont traduites par le terme ScoLOMFR le plus proche (niveaux, alignements, rôles).',
    },
  ]),
]);
