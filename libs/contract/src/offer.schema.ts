import {
  arrayMaxSize,
  arrayMinSize,
  isArray,
  isIn,
  isInt,
  isISO8601,
  isObject,
  isString,
  isUUID,
  matches,
  max,
  maxLength,
  min,
  minLength,
} from 'class-validator';
import { CONTENT_CATEGORIES, CONTRACT_VERSION, FORMAT_ID_PATTERN, ITEM_ID_PATTERN, MEDIA_TYPE_PATTERN, UAI_PATTERN } from './enums';
import {
  COMPACT_JWS_PATTERN,
  ENT_ID_REGEXP,
  IDENTITY_CLAIM_PATTERN,
  NO_CONTROL_CHARS,
  noControlCharsMessage,
  OFFER_LIMITS,
  OFFER_MESSAGES,
} from './peer.dto';

/*
 * The `POST offers` body as a JSON Schema, for a compiled validator (ajv): class-transformer and
 * class-validator spent 25-40 ms on a 500-item offer, the schema a fraction of one (issue #17).
 *
 * Each property below lists the same constraints, in the same order, as the decorators of the
 * `Offer` classes in peer.dto.ts (which stay the reference and feed the OpenAPI document). Every
 * constraint carries three things: its JSON Schema keywords, the class-validator predicate it
 * mirrors (used only to word the errors of a refused body, field by field as class-validator
 * would) and its message. The differential test (offer.schema.spec.ts) runs many bodies through
 * both paths and fails when they disagree.
 */

type SchemaObject = Record<string, unknown>;

/** One decorator of a DTO property. */
interface Constraint {
  kind: 'check';
  schema: SchemaObject;
  test: (value: unknown) => boolean;
  message: (property: string) => string;
}
type Marker = { kind: 'optional' } | { kind: 'defined' } | { kind: 'nested'; target: OfferClass; each: boolean };
type Rule = Constraint | Marker;

export type OfferClass = 'Offer' | 'OfferParty' | 'ArrivalParty' | 'OfferOwner' | 'OfferItem' | 'OfferedFormat' | 'OfferedMetadata';

const check = (schema: SchemaObject, test: Constraint['test'], message: Constraint['message']): Constraint => ({ kind: 'check', schema, test, message });

function pattern(re: RegExp): string {
  // ajv compiles `pattern` without flags (unicodeRegExp: false), as the decorators' RegExps are.
  if (re.flags) throw new Error(`pattern ${re} has flags the schema cannot carry`);
  return re.source;
}

// The decorators, by the name class-validator gives them, with its default messages.
const IsOptional = (): Rule => ({ kind: 'optional' });
const IsDefined = (): Rule => ({ kind: 'defined' });
const ValidateNested = (target: OfferClass, each = false): Rule => ({ kind: 'nested', target, each });
const IsString = () => check({ type: 'string' }, isString, (p) => `${p} must be a string`);
const Matches = (re: RegExp, message?: string) =>
  check({ type: 'string', pattern: pattern(re) }, (v) => matches(v as string, re), (p) => message ?? `${p} must match ${re} regular expression`);
// Lengths as validator.js counts them (a surrogate pair, or a character with its variation
// selector, is one), not as JSON Schema's minLength/maxLength do: custom keywords.
const MinLength = (n: number) => check({ type: 'string', minChars: n }, (v) => minLength(v, n), (p) => `${p} must be longer than or equal to ${n} characters`);
const MaxLength = (n: number) => check({ type: 'string', maxChars: n }, (v) => maxLength(v, n), (p) => `${p} must be shorter than or equal to ${n} characters`);
const IsInt = () => check({ type: 'integer' }, isInt, (p) => `${p} must be an integer number`);
const Min = (n: number) => check({ type: 'number', minimum: n }, (v) => min(v, n), (p) => `${p} must not be less than ${n}`);
const Max = (n: number) => check({ type: 'number', maximum: n }, (v) => max(v, n), (p) => `${p} must not be greater than ${n}`);
const IsIn = (values: readonly string[]) => check({ enum: [...values] }, (v) => isIn(v, [...values]), (p) => `${p} must be one of the following values: ${values.join(', ')}`);
// Formats run class-validator's own predicates (registered in offer.validator.ts): no second
// reading of what a UUID or a strict ISO 8601 date is.
const IsUUID = () => check({ type: 'string', format: 'uuid' }, (v) => isUUID(v), (p) => `${p} must be a UUID`);
const IsISO8601Strict = () => check({ type: 'string', format: 'iso8601-strict' }, (v) => isISO8601(v, { strict: true }), (p) => `${p} must be a valid ISO 8601 date string`);
const IsObject = () => check({ type: 'object' }, isObject, (p) => `${p} must be an object`);
/** `@IsObject({ each: true })`: on a non-array value class-validator checks the value itself. */
const IsObjectEach = () =>
  check({ items: { type: 'object' } }, (v) => (Array.isArray(v) ? v.every((x) => isObject(x)) : isObject(v)), (p) => `each value in ${p} must be an object`);
const IsArray = () => check({ type: 'array' }, isArray, (p) => `${p} must be an array`);
const ArrayMinSize = (n: number) => check({ type: 'array', minItems: n }, (v) => arrayMinSize(v, n), (p) => `${p} must contain at least ${n} elements`);
const ArrayMaxSize = (n: number) => check({ type: 'array', maxItems: n }, (v) => arrayMaxSize(v, n), (p) => `${p} must contain no more than ${n} elements`);

/** The classes of peer.dto.ts, property by property, decorator by decorator (same order). */
const OFFER_CLASSES: Record<OfferClass, Record<string, Rule[]>> = {
  OfferedFormat: {
    format: [IsString(), Matches(FORMAT_ID_PATTERN, OFFER_MESSAGES.format)],
    mediaType: [IsString(), Matches(MEDIA_TYPE_PATTERN, OFFER_MESSAGES.mediaType)],
    sizeBytes: [IsInt(), Min(0), Max(OFFER_LIMITS.maxDeclaredBytes)],
  },
  OfferedMetadata: {
    format: [IsString(), Matches(FORMAT_ID_PATTERN)],
  },
  OfferItem: {
    itemId: [IsString(), Matches(ITEM_ID_PATTERN, OFFER_MESSAGES.itemId)],
    title: [IsString(), MinLength(1), MaxLength(OFFER_LIMITS.maxTitleLength), Matches(NO_CONTROL_CHARS, noControlCharsMessage('title'))],
    category: [IsIn(CONTENT_CATEGORIES)],
    formats: [IsArray(), ArrayMinSize(1), ArrayMaxSize(OFFER_LIMITS.maxFormatsPerItem), IsObjectEach(), ValidateNested('OfferedFormat', true)],
    metadata: [IsOptional(), IsArray(), ArrayMaxSize(4), IsObjectEach(), ValidateNested('OfferedMetadata', true)],
  },
  OfferParty: {
    entId: [IsString(), Matches(ENT_ID_REGEXP, OFFER_MESSAGES.entId)],
    uai: [Matches(UAI_PATTERN, OFFER_MESSAGES.uai)],
  },
  ArrivalParty: {
    uai: [Matches(UAI_PATTERN, OFFER_MESSAGES.uai)],
  },
  OfferOwner: {
    identityClaim: [IsString(), Matches(IDENTITY_CLAIM_PATTERN)],
    identity: [IsString(), MinLength(1), MaxLength(255), Matches(NO_CONTROL_CHARS, noControlCharsMessage('identity'))],
    displayName: [IsOptional(), IsString(), MaxLength(200), Matches(NO_CONTROL_CHARS, noControlCharsMessage('displayName'))],
  },
  Offer: {
    offerId: [IsUUID()],
    contractVersion: [IsIn([CONTRACT_VERSION])],
    departure: [IsDefined(), IsObject(), ValidateNested('OfferParty')],
    arrival: [IsDefined(), IsObject(), ValidateNested('ArrivalParty')],
    owner: [IsDefined(), IsObject(), ValidateNested('OfferOwner')],
    expiresAt: [IsISO8601Strict()],
    items: [IsArray(), ArrayMinSize(1), ArrayMaxSize(OFFER_LIMITS.maxItems), IsObjectEach(), ValidateNested('OfferItem', true)],
    ownerProof: [IsOptional(), IsString(), MaxLength(8192), Matches(COMPACT_JWS_PATTERN, OFFER_MESSAGES.ownerProof)],
  },
};

/** A property as the validator reads it: how class-validator treats it, and how to word its errors. */
export interface OfferProperty {
  name: string;
  optional: boolean;
  defined: boolean;
  /** Class-validator's order: the last decorator first. */
  checks: Constraint[];
  nested?: { target: OfferClass; each: boolean };
}

function property(name: string, rules: Rule[]): OfferProperty {
  const nested = rules.find((r): r is Extract<Marker, { kind: 'nested' }> => r.kind === 'nested');
  return {
    name,
    optional: rules.some((r) => r.kind === 'optional'),
    defined: rules.some((r) => r.kind === 'defined'),
    checks: rules.filter((r): r is Constraint => r.kind === 'check').reverse(),
    nested: nested && { target: nested.target, each: nested.each },
  };
}

export const OFFER_PROPERTIES: Record<OfferClass, OfferProperty[]> = Object.fromEntries(
  Object.entries(OFFER_CLASSES).map(([cls, props]) => [cls, Object.entries(props).map(([name, rules]) => property(name, rules))]),
) as Record<OfferClass, OfferProperty[]>;

/** Merges the keywords of a property's constraints into one subschema. */
function propertySchema(p: OfferProperty): SchemaObject {
  const out: SchemaObject = {};
  for (const c of [...p.checks].reverse()) {
    for (const [key, value] of Object.entries(c.schema)) {
      if (key === 'type' && out.type !== undefined && out.type !== value) {
        // IsInt + Min: an integer is a number.
        const types = new Set([out.type, value]);
        if (types.size === 2 && types.has('integer') && types.has('number')) out.type = 'integer';
        else throw new Error(`${p.name}: constraints disagree on the type (${out.type}, ${value})`);
      } else if (key === 'items') {
        out.items = { ...(out.items as SchemaObject), ...(value as SchemaObject) };
      } else {
        out[key] = value;
      }
    }
  }
  if (p.nested) {
    const ref = { $ref: `#/$defs/${p.nested.target}` };
    if (p.nested.each) out.items = { ...(out.items as SchemaObject), ...ref };
    else Object.assign(out, ref);
  }
  // @IsOptional: null is as good as absent.
  if (p.optional && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

function classSchema(cls: OfferClass): SchemaObject {
  const props = OFFER_PROPERTIES[cls];
  return {
    type: 'object',
    // forbidNonWhitelisted: a property the class does not declare is an error.
    additionalProperties: false,
    required: props.filter((p) => !p.optional).map((p) => p.name),
    properties: Object.fromEntries(props.map((p) => [p.name, propertySchema(p)])),
  };
}

/**
 * JSON Schema of the `POST offers` body. Two custom keywords (`minChars`, `maxChars`: string
 * length as validator.js counts it) and two custom formats (`uuid`, `iso8601-strict`: class-
 * validator's isUUID and isISO8601 with strict) are registered by offer.validator.ts.
 */
export const OFFER_JSON_SCHEMA: SchemaObject = {
  $id: 'ent-portability:offer',
  ...classSchema('Offer'),
  $defs: Object.fromEntries((Object.keys(OFFER_CLASSES) as OfferClass[]).filter((c) => c !== 'Offer').map((c) => [c, classSchema(c)])),
};
