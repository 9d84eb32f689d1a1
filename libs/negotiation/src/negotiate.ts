/**
 * §8.3 flow 2 → flow 3: the arrival's answer to an offer, item by item.
 *
 * `negotiate` is a pure function (offer + arrival capabilities + converters →
 * answer): no I/O, no clock (the caller passes `now`), no randomness, and the
 * same input always gives a deep-equal answer.
 */
import type {
  ContentCategory,
  ConversionLoss,
  DecisionReason,
  DecisionReasonCode,
  ItemDecision,
  MetadataDecision,
  OfferAnswer,
} from '@ent/contract';
import { ConverterDescriptor, ConverterGraph } from './converters';
import { NegotiationInputError } from './errors';
import { BINARY_FORMAT, isKnownFormat, normalizeMediaType } from './formats';
import { REASON_MESSAGES } from './messages';

// The input types are the narrowest the decision needs: a contract `Offer` and
// `CapabilitiesDocument` are assignable to them as they are.

export interface NegotiationOfferedFormat {
  readonly format: string;
  readonly mediaType: string;
  readonly sizeBytes: number;
}

export interface NegotiationOfferItem {
  readonly itemId: string;
  readonly category: ContentCategory;
  /** Formats the departure can export the item in, its preferred first. */
  readonly formats: readonly NegotiationOfferedFormat[];
  /** Metadata records the departure can send with the item (ScoLOMFR, schema.org…). */
  readonly metadata?: readonly { readonly format: string }[];
}

export interface NegotiationOffer {
  readonly offerId: string;
  readonly items: readonly NegotiationOfferItem[];
}

export interface NegotiationAcceptedFormat {
  readonly format: string;
  /** For `binary`: media types imported natively. Absent = any media type. */
  readonly mediaTypes?: readonly string[];
}

export interface NegotiationCategoryCapability {
  readonly category: ContentCategory;
  /** Formats the arrival imports natively for this category, its preferred first. */
  readonly imports: readonly NegotiationAcceptedFormat[];
}

/** The arrival's capabilities (a `CapabilitiesDocument` fits). */
export interface NegotiationCapabilities {
  readonly categories: readonly NegotiationCategoryCapability[];
  readonly refusedCategories: readonly ContentCategory[];
  /** Largest item accepted. Not a finite number ≥ 0 (e.g. `Infinity`) = no limit. */
  readonly maxItemBytes: number;
  /** Metadata record formats the arrival ENT attaches to an import, its preferred first. Absent = none. */
  readonly metadataImports?: readonly string[];
}

export interface NegotiationInput {
  readonly offer: NegotiationOffer;
  readonly capabilities: NegotiationCapabilities;
  /** The conversions the arrival runs (the gateway's pick among DEFAULT_CONVERTERS, or its own). */
  readonly converters: readonly ConverterDescriptor[];
  readonly arrivalEntId: string;
  readonly now: Date;
}

function reason(code: DecisionReasonCode, message: string): DecisionReason[] {
  return [{ code, message }];
}

function isObject<T>(v: T | null | undefined): v is T & object {
  return typeof v === 'object' && v !== null;
}

function asArray<T>(v: readonly T[] | undefined | null): readonly T[] {
  return Array.isArray(v) ? v : [];
}

/** Capabilities folded into lookups once per offer. */
interface ArrivalView {
  readonly refused: ReadonlySet<string>;
  /** Imports per category; several entries for one category are concatenated in order. */
  readonly imports: ReadonlyMap<string, readonly NegotiationAcceptedFormat[]>;
  readonly maxItemBytes: number | undefined;
  readonly metadataImports: readonly string[];
  readonly graph: ConverterGraph;
}

function viewArrival(capabilities: NegotiationCapabilities | undefined, converters: readonly ConverterDescriptor[] | undefined): ArrivalView {
  const caps: Partial<NegotiationCapabilities> = isObject(capabilities) ? capabilities : {};
  const imports = new Map<string, NegotiationAcceptedFormat[]>();
  for (const entry of asArray(caps.categories)) {
    if (!isObject(entry)) continue;
    const list = imports.get(entry.category) ?? [];
    for (const accepted of asArray(entry.imports)) {
      if (isObject(accepted) && typeof accepted.format === 'string') list.push(accepted);
    }
    imports.set(entry.category, list);
  }
  const max = caps.maxItemBytes;
  return {
    refused: new Set(asArray(caps.refusedCategories)),
    imports,
    maxItemBytes: typeof max === 'number' && Number.isFinite(max) && max >= 0 ? max : undefined,
    metadataImports: asArray(caps.metadataImports).filter((f): f is string => typeof f === 'string'),
    graph: new ConverterGraph(asArray(converters)),
  };
}

/** Does `accepted` take this offered format natively? */
function importsNatively(accepted: NegotiationAcceptedFormat, offered: NegotiationOfferedFormat): boolean {
  if (accepted.format !== offered.format) return false;
  if (offered.format !== BINARY_FORMAT || !Array.isArray(accepted.mediaTypes)) return true;
  const mediaType = normalizeMediaType(offered.mediaType);
  return accepted.mediaTypes.some((m) => normalizeMediaType(m) === mediaType);
}

/**
 * A conversion output of `binary` has no media type we could check, so a
 * `binary` import restricted to some media types is never a conversion target.
 */
function isConversionTarget(accepted: NegotiationAcceptedFormat): boolean {
  return accepted.format !== BINARY_FORMAT || !Array.isArray(accepted.mediaTypes);
}

function decideItem(item: NegotiationOfferItem, arrival: ArrivalView): ItemDecision {
  const itemId = item.itemId;
  const offered = asArray(item.formats).filter(isObject) as NegotiationOfferedFormat[];

  // 1. Category refused outright.
  if (arrival.refused.has(item.category)) {
    return { itemId, decision: 'REFUSED', losses: [], reasons: reason('CATEGORY_REFUSED', REASON_MESSAGES.CATEGORY_REFUSED(item.category)) };
  }

  // 2. No known format at all (unknown ones are ignored when a known one exists).
  const known = offered.filter((f) => isKnownFormat(f.format));
  if (known.length === 0) {
    return {
      itemId,
      decision: 'REFUSED',
      losses: [],
      reasons: reason('UNKNOWN_FORMAT', REASON_MESSAGES.UNKNOWN_FORMAT(offered.map((f) => String(f.format)))),
    };
  }

  // 3. Every known format is over the arrival's size limit.
  const max = arrival.maxItemBytes;
  const tooLarge = (f: NegotiationOfferedFormat): boolean =>
    max !== undefined && typeof f.sizeBytes === 'number' && f.sizeBytes > max;
  const fits = known.filter((f) => !tooLarge(f));
  if (fits.length === 0) {
    // Only reachable with a limit: every known format has a numeric size above it.
    const smallest = Math.min(...known.map((f) => f.sizeBytes));
    return {
      itemId,
      decision: 'REFUSED',
      losses: [],
      reasons: reason('ITEM_TOO_LARGE', REASON_MESSAGES.ITEM_TOO_LARGE(smallest, max as number)),
    };
  }

  // 4. Native import: the arrival's preference first, then the departure's order.
  const imports = arrival.imports.get(item.category) ?? [];
  for (const accepted of imports) {
    const match = fits.find((f) => importsNatively(accepted, f));
    if (match) {
      return {
        itemId,
        decision: 'IMPORT',
        sourceFormat: match.format,
        targetFormat: match.format,
        losses: [],
        reasons: reason(
          'NATIVE_IMPORT',
          REASON_MESSAGES.NATIVE_IMPORT(match.format, match.format === BINARY_FORMAT ? normalizeMediaType(match.mediaType) : undefined),
        ),
      };
    }
  }

  // 5. Cheapest conversion path to a natively imported format.
  const targets = imports.filter(isConversionTarget).map((a) => a.format);
  const path = arrival.graph.findCheapestPath(
    fits.map((f) => f.format),
    targets,
  );
  if (path) {
    const losses: ConversionLoss[] = path.losses.map((l) => ({ code: l.code, message: l.message }));
    return {
      itemId,
      decision: 'CONVERT',
      sourceFormat: path.from,
      targetFormat: path.to,
      converters: [...path.converterIds],
      losses,
      reasons: reason('CONVERSION_AVAILABLE', REASON_MESSAGES.CONVERSION_AVAILABLE(path.from, path.to, losses.length > 0)),
    };
  }

  // 6. Kept at arrival for manual download, in the departure's preferred acceptable format.
  const sourceFormat = fits[0].format;
  return {
    itemId,
    decision: 'MANUAL',
    sourceFormat,
    losses: [],
    reasons: reason('NO_IMPORTABLE_FORMAT', REASON_MESSAGES.NO_IMPORTABLE_FORMAT(sourceFormat)),
  };
}

/**
 * The metadata record that goes with an imported item: one the arrival ENT takes natively (its
 * preference first), else the cheapest conversion to one (schema.org → ScoLOMFR crosswalk), else
 * none. Only items that enter the ENT carry one: a record the ENT cannot take must never be
 * discovered after their content went in.
 */
function decideMetadata(item: NegotiationOfferItem, content: ItemDecision, arrival: ArrivalView): MetadataDecision | null {
  if (content.decision !== 'IMPORT' && content.decision !== 'CONVERT') return null;
  const offered = [...new Set(asArray(item.metadata).filter(isObject).map((m) => m.format).filter((f) => typeof f === 'string' && isKnownFormat(f)))];
  if (offered.length === 0) return null;
  const native = arrival.metadataImports.find((f) => offered.includes(f));
  if (native) return { format: native, targetFormat: native, losses: [] };
  const path = arrival.graph.findCheapestPath(offered, arrival.metadataImports);
  if (!path) return null;
  return {
    format: path.from,
    targetFormat: path.to,
    converters: [...path.converterIds],
    losses: path.losses.map((l) => ({ code: l.code, message: l.message })),
  };
}

/**
 * Answers an offer item by item, in the offer's order. Total: every item gets
 * exactly one decision, whatever the (schema-valid) capabilities or converters.
 *
 * @throws NegotiationInputError `DUPLICATE_ITEM_ID` when two items share an id,
 *   `INVALID_CONVERTER` when a converter descriptor is malformed,
 *   `INVALID_ARGUMENT` when `offer.items` is not an array or `now` is not a valid date.
 */
export function negotiate(input: NegotiationInput): OfferAnswer {
  const { offer, capabilities, converters, arrivalEntId, now } = input;
  if (!isObject(offer) || !Array.isArray(offer.items)) {
    throw new NegotiationInputError('INVALID_ARGUMENT', 'offer.items must be an array');
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new NegotiationInputError('INVALID_ARGUMENT', 'now must be a valid Date');
  }

  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const item of offer.items) {
    const id = isObject(item) ? item.itemId : undefined;
    if (seen.has(id as string)) duplicates.add(String(id));
    seen.add(id as string);
  }
  if (duplicates.size > 0) {
    const ids = [...duplicates];
    throw new NegotiationInputError('DUPLICATE_ITEM_ID', `offer ${offer.offerId} lists item id(s) more than once: ${ids.join(', ')}`, ids);
  }

  const arrival = viewArrival(capabilities, converters);
  return {
    offerId: offer.offerId,
    arrivalEntId,
    answeredAt: now.toISOString(),
    items: offer.items.map((raw) => {
      const item = isObject(raw) ? raw : ({} as NegotiationOfferItem);
      const decision = decideItem(item, arrival);
      return { ...decision, metadata: decideMetadata(item, decision, arrival) };
    }),
  };
}
