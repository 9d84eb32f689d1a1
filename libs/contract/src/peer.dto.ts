import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  CONTENT_CATEGORIES,
  CONTRACT_VERSION,
  ContentCategory,
  DECISION_REASONS,
  ITEM_FAILURE_REASONS,
  ItemFailureReason,
  DecisionReasonCode,
  FORMAT_ID_PATTERN,
  ITEM_DECISIONS,
  ITEM_ID_PATTERN,
  ItemDecisionKind,
  JWS_TYPES,
  PEER_JWS_ALGORITHMS,
  PEER_VISIBLE_ARRIVAL_STATES,
  PEER_VISIBLE_DEPARTURE_STATES,
  MEDIA_TYPE_PATTERN,
  OBJECT_ROLES,
  ObjectRole,
  OWNER_PROOF_REASONS,
  OWNER_PROOF_STATUSES,
  OwnerProofReason,
  OwnerProofStatus,
  RECEIPT_ITEM_STATUSES,
  ReceiptItemStatus,
  SHA256_HEX_PATTERN,
  UAI_PATTERN,
} from './enums';

/** Free text (titles, names, identities) carries no control character: U+0000 cannot even be stored. */
export const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;
export const noControlCharsMessage = (field: string) => `${field} must not contain control characters`;
const noControls = (field: string) => Matches(NO_CONTROL_CHARS, { message: noControlCharsMessage(field) });
/** An ENT's identifier in the peer registries. */
export const ENT_ID_REGEXP = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** The name of an IdP claim (owner.identityClaim). */
export const IDENTITY_CLAIM_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;
/** A compact JWS / JWT: three base64url segments. */
export const COMPACT_JWS_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The offer's own error messages, shared by its decorators and by the compiled validator of its
 * body (offer.schema.ts), so that both answer a peer in the same words.
 */
export const OFFER_MESSAGES = {
  format: 'format must be a format id such as "imscc-1.3"',
  mediaType: 'mediaType must be a media type such as "application/pdf"',
  itemId: 'itemId must be 1-128 characters among letters, digits, ".", "_", ":" and "-"',
  entId: 'entId must be a lower-case identifier',
  uai: 'uai must be 7 digits followed by an upper-case letter',
  ownerProof: 'ownerProof must be a compact JWT',
} as const;

/** Upper bounds enforced on every offer (also published in discovery `limits`). */
export const OFFER_LIMITS = {
  maxItems: 500,
  maxFormatsPerItem: 10,
  maxTitleLength: 500,
  /** 50 GiB: a declared size above this is rejected as malformed, not negotiated. */
  maxDeclaredBytes: 50 * 1024 ** 3,
} as const;

// ---------------------------------------------------------------- discovery

export class DiscoveryEndpoints {
  @ApiProperty({ format: 'uri', description: 'Absolute URL of `GET capabilities`.' }) capabilities: string;
  @ApiProperty({ format: 'uri', description: 'Absolute URL of `POST offers`.' }) offers: string;
  @ApiProperty({ description: 'Absolute URL template of `POST deliveries`; `{offerId}` is replaced by the offer id.' }) deliveries: string;
  @ApiProperty({ description: 'Absolute URL template of `GET content`; `{transferId}` (= the offer id) and `{itemId}` are replaced.' }) itemContent: string;
  @ApiProperty({ description: 'Absolute URL template of `POST receipt`; `{transferId}` (= the offer id) is replaced.' }) receipt: string;
  @ApiPropertyOptional({ description: 'Absolute URL template of `POST cancellation` (the teacher withdraws her offer before delivery); `{offerId}` is replaced. Optional: a departure cannot withdraw an offer from a peer that does not publish it.' })
  cancellation?: string;
}

export class DiscoveryLimits {
  @ApiProperty() maxItemsPerOffer: number;
  @ApiProperty() maxBodyBytes: number;
  @ApiProperty() maxItemBytes: number;
  @ApiProperty({ description: 'How long an offer and its staged data are kept without a receipt.' })
  offerTtlSeconds: number;
}

/** One school (établissement) a gateway serves, as it publishes it. */
export class DiscoverySchool {
  @ApiProperty({ pattern: UAI_PATTERN.source, example: '0690002B' }) uai: string;
  @ApiPropertyOptional({ maxLength: 200, example: 'Collège Jean Moulin' }) name?: string;
  @ApiPropertyOptional({ maxLength: 200, example: 'Lyon' }) town?: string;
}

/**
 * `GET /.well-known/ent-portability` (or wherever a peer registry entry's `discoveryUrl` points):
 * what a peer needs to call this gateway. Consumers ignore members they do not know (ADR 007).
 */
export class DiscoveryDocument {
  @ApiProperty({ example: ['1'], description: 'Peer contract versions this gateway speaks; a caller picks the highest it shares.' }) contractVersions: string[];
  @ApiProperty({ description: 'Identifier of this ENT in the peer registries.' }) entId: string;
  @ApiProperty({ description: 'UAIs (établissements) this gateway serves.' }) uais: string[];
  @ApiPropertyOptional({ type: [DiscoverySchool], description: 'The schools served, with their name and town when the operator configured them.' })
  schools?: DiscoverySchool[];
  @ApiProperty({ format: 'uri', description: 'OAuth2 issuer whose client-credentials tokens this gateway accepts.' }) issuer: string;
  @ApiProperty({ format: 'uri', description: 'Audience (RFC 8707 resource indicator) to request tokens for when calling this gateway.' })
  audience: string;
  @ApiProperty({ format: 'uri', description: 'JWKS with the keys that sign delivery manifests and receipts.' }) jwksUri: string;
  @ApiProperty({ type: DiscoveryEndpoints }) endpoints: DiscoveryEndpoints;
  @ApiPropertyOptional({
    type: [String],
    description: 'Origins (scheme://host[:port]) the contentUrls of this gateway\'s manifests may redirect to: its S3 endpoint, a CDN. A contentUrl itself is always on the origin of `endpoints.itemContent`.',
    example: ['https://s3.ent-b.example.org'],
  })
  contentOrigins?: string[];
  @ApiProperty({ type: DiscoveryLimits }) limits: DiscoveryLimits;
  @ApiPropertyOptional({
    format: 'uri',
    example: 'https://ent.example.fr/',
    description: 'Where this ENT\'s users log in (its portal). A departure shows it to the teacher after delivery (« Connectez-vous à votre nouvel ENT »); never called by a gateway.',
  })
  portalUrl?: string;
}

// ---------------------------------------------------------------- capabilities

export class AcceptedFormat {
  @ApiProperty({ example: 'imscc-1.3' }) format: string;
  @ApiPropertyOptional({ description: 'For `binary`: the media types imported natively.', example: ['application/pdf'] })
  mediaTypes?: string[];
}

export class CategoryCapability {
  @ApiProperty({ enum: CONTENT_CATEGORIES }) category: ContentCategory;
  @ApiProperty({ type: [AcceptedFormat], description: 'Natively imported formats, most preferred first.' })
  imports: AcceptedFormat[];
}

export class ConverterDescriptor {
  @ApiProperty() id: string;
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty({ description: 'Relative cost; negotiation picks the cheapest path.' }) cost: number;
  @ApiProperty({ description: 'Loss codes: what the conversion cannot keep.' }) losses: string[];
}

/** `GET /portability/v1/capabilities` */
export class CapabilitiesDocument {
  @ApiProperty({ example: CONTRACT_VERSION }) contractVersion: string;
  @ApiProperty() entId: string;
  @ApiProperty({ type: [CategoryCapability] }) categories: CategoryCapability[];
  @ApiProperty({ enum: CONTENT_CATEGORIES, isArray: true, description: 'Categories this ENT refuses outright.' })
  refusedCategories: ContentCategory[];
  @ApiProperty({ description: 'Largest item this ENT accepts, imported or kept for manual download.' })
  maxItemBytes: number;
  @ApiProperty({ type: [ConverterDescriptor] }) converters: ConverterDescriptor[];
  @ApiPropertyOptional({ type: [String], example: ['scolomfr-3.1'], description: 'Metadata record formats this ENT attaches to an imported item natively, most preferred first.' })
  metadataImports?: string[];
}

// ---------------------------------------------------------------- offer (§8.3 flow 2)

export class OfferedFormat {
  @ApiProperty({ example: 'imscc-1.3', pattern: FORMAT_ID_PATTERN.source })
  @IsString()
  @Matches(FORMAT_ID_PATTERN, { message: OFFER_MESSAGES.format })
  format: string;

  @ApiProperty({ example: 'application/vnd.ims.imsccv1p3' })
  @IsString()
  @Matches(MEDIA_TYPE_PATTERN, { message: OFFER_MESSAGES.mediaType })
  mediaType: string;

  @ApiProperty({ description: 'Size declared by the departure ENT; the manifest carries the exact size.' })
  @IsInt()
  @Min(0)
  @Max(OFFER_LIMITS.maxDeclaredBytes)
  sizeBytes: number;
}

export class OfferedMetadata {
  @ApiProperty({ example: 'scolomfr-3.1' })
  @IsString()
  @Matches(FORMAT_ID_PATTERN)
  format: string;
}

export class OfferItem {
  @ApiProperty({ pattern: ITEM_ID_PATTERN.source })
  @IsString()
  @Matches(ITEM_ID_PATTERN, { message: OFFER_MESSAGES.itemId })
  itemId: string;

  @ApiProperty({ maxLength: OFFER_LIMITS.maxTitleLength })
  @IsString()
  @MinLength(1)
  @MaxLength(OFFER_LIMITS.maxTitleLength)
  @noControls('title')
  title: string;

  @ApiProperty({ enum: CONTENT_CATEGORIES })
  @IsIn(CONTENT_CATEGORIES as unknown as string[])
  category: ContentCategory;

  @ApiProperty({ type: [OfferedFormat], description: 'Formats the departure can export this item in, preferred first.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(OFFER_LIMITS.maxFormatsPerItem)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OfferedFormat)
  formats: OfferedFormat[];

  @ApiPropertyOptional({ type: [OfferedMetadata], description: 'Metadata records that travel with the item (ScoLOMFR, schema.org).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(4)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OfferedMetadata)
  metadata?: OfferedMetadata[];
}

export class OfferParty {
  @ApiProperty()
  @IsString()
  @Matches(ENT_ID_REGEXP, { message: OFFER_MESSAGES.entId })
  entId: string;

  @ApiProperty({ example: '0750001A' })
  @Matches(UAI_PATTERN, { message: OFFER_MESSAGES.uai })
  uai: string;
}

export class ArrivalParty {
  @ApiProperty({ example: '0690002B' })
  @Matches(UAI_PATTERN, { message: OFFER_MESSAGES.uai })
  uai: string;
}

export class OfferOwner {
  @ApiProperty({ description: 'Name of the IdP claim that binds the teacher across ENTs.', example: 'sub' })
  @IsString()
  @Matches(IDENTITY_CLAIM_PATTERN)
  identityClaim: string;

  @ApiProperty({ description: 'Value of that claim for the teacher.' })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  @noControls('identity')
  identity: string;

  @ApiPropertyOptional({ description: 'Shown to the teacher at arrival only.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @noControls('displayName')
  displayName?: string;
}

/** `POST /portability/v1/offers` body: the list of contents with their source formats (§8.3 flow 2). */
export class Offer {
  @ApiProperty({ format: 'uuid', description: 'Chosen by the departure; the call is idempotent on it.' })
  @IsUUID()
  offerId: string;

  @ApiProperty({ example: CONTRACT_VERSION })
  @IsIn([CONTRACT_VERSION])
  contractVersion: string;

  @ApiProperty({ type: OfferParty })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => OfferParty)
  departure: OfferParty;

  @ApiProperty({ type: ArrivalParty })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ArrivalParty)
  arrival: ArrivalParty;

  @ApiProperty({ type: OfferOwner })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => OfferOwner)
  owner: OfferOwner;

  @ApiProperty({ format: 'date-time' })
  @IsISO8601({ strict: true })
  expiresAt: string;

  @ApiProperty({ type: [OfferItem] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(OFFER_LIMITS.maxItems)
  // Each item an object: @ValidateNested alone descends into an array found in place of an item
  // and accepts it ([[item]] passed, past maxItems, and failed later as a 500).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OfferItem)
  items: OfferItem[];

  @ApiPropertyOptional({
    maxLength: 8192,
    description:
      'Proof that the owner herself asked for this transfer (ADR 010): a compact JWT of the shared IdP, ' +
      'obtained by the departure through OAuth 2.0 Token Exchange (RFC 8693) from the access token of her own ' +
      'login, with header typ `owner-proof+jwt`, `aud` = the arrival gateway (its discovery `audience`), ' +
      '`act.sub` (and `client_id` when present) = the departure\'s client id, the identity claim (owner.identityClaim) ' +
      'equal to owner.identity, a `jti`, and a lifetime of at most one hour. The arrival verifies it when the offer ' +
      'arrives and keeps the verified fact, never the token. Without a valid proof the offer is still answered, ' +
      'but nothing is imported automatically: the items wait for the owner\'s explicit acceptance at the arrival. ' +
      'A proof is good for one offer (its jti is remembered). It is not part of the offer\'s idempotency digest.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  @Matches(COMPACT_JWS_PATTERN, { message: OFFER_MESSAGES.ownerProof })
  ownerProof?: string;
}

// ---------------------------------------------------------------- answer (§8.3 flow 3)

export class DecisionReason {
  @ApiProperty({ enum: DECISION_REASONS }) code: DecisionReasonCode;
  @ApiProperty({ description: 'A sentence in French for the teacher.' }) message: string;
}

export class ConversionLoss {
  @ApiProperty() code: string;
  @ApiProperty({ description: 'What is lost, in French.' }) message: string;
}

/**
 * Which metadata record travels with an item and how it reaches the arrival ENT (§8.3 flow 4:
 * ScoLOMFR / schema.org indexes). Decided by the arrival with the item, so that content and its
 * description are imported together or not at all.
 */
export class MetadataDecision {
  @ApiProperty({ example: 'scolomfr-3.1', description: 'Offered metadata format (one of the item\'s `metadata[].format`) the departure delivers as the item\'s `metadata` object.' })
  format: string;
  @ApiProperty({ example: 'scolomfr-3.1', description: 'Format the record is attached in at the arrival ENT (after the crosswalk when it differs from `format`).' })
  targetFormat: string;
  @ApiPropertyOptional({ type: [String], description: 'Converter ids applied in order (the schema.org → ScoLOMFR crosswalk), when `targetFormat` differs.' })
  converters?: string[];
  @ApiProperty({ type: [ConversionLoss], description: 'What the crosswalk cannot keep.' }) losses: ConversionLoss[];
}

export class ItemDecision {
  @ApiProperty() itemId: string;
  @ApiProperty({ enum: ITEM_DECISIONS }) decision: ItemDecisionKind;
  @ApiPropertyOptional({ description: 'Offered format the arrival wants to receive.' }) sourceFormat?: string;
  @ApiPropertyOptional({ description: 'Format the item ends in at arrival (after conversion for CONVERT).' })
  targetFormat?: string;
  @ApiPropertyOptional({ description: 'Converter ids applied in order (CONVERT only).' }) converters?: string[];
  @ApiProperty({ type: [ConversionLoss] }) losses: ConversionLoss[];
  @ApiProperty({ type: [DecisionReason] }) reasons: DecisionReason[];
  @ApiPropertyOptional({
    type: MetadataDecision,
    nullable: true,
    description:
      'The metadata record the arrival takes with this item: an object (deliver that format), `null` (deliver none: no record offered, ' +
      'none the arrival ENT can take, or the item is not imported). Absent only in answers of arrivals that predate it: ' +
      'the departure then delivers the first offered metadata format.',
  })
  metadata?: MetadataDecision | null;
}

/** The arrival's verdict on the offer's ownerProof (ADR 010). */
export class OwnerProofOutcome {
  @ApiProperty({ enum: OWNER_PROOF_STATUSES, description: 'VERIFIED: imported at the owner\'s login. MISSING or REFUSED: the items wait for her acceptance at the arrival.' })
  status: OwnerProofStatus;
  @ApiPropertyOptional({ enum: OWNER_PROOF_REASONS, description: 'Why the proof was refused (REFUSED only).' })
  reason?: OwnerProofReason;
}

/**
 * How long the arrival keeps what it receives (RGPD: the teacher is told before she confirms).
 * A summer-long move: the content waits for its owner until `awaitsOwnerUntil`; once imported or
 * kept for manual download, the arrival's own copies go after `keepsReceivedCopiesDays`.
 */
export class ArrivalRetention {
  @ApiProperty({ format: 'date-time', description: 'Until when received content waits for its owner to appear (account created, first login).' })
  awaitsOwnerUntil: string;
  @ApiProperty({ description: "Days the arrival keeps its copies (manual downloads, index) after the import; then they are deleted." })
  keepsReceivedCopiesDays: number;
}

export class OfferAnswer {
  @ApiProperty({ format: 'uuid' }) offerId: string;
  @ApiProperty() arrivalEntId: string;
  @ApiProperty({ format: 'date-time' }) answeredAt: string;
  @ApiProperty({ type: [ItemDecision] }) items: ItemDecision[];
  @ApiPropertyOptional({ type: OwnerProofOutcome, description: 'What the arrival made of ownerProof. Absent from arrivals older than ADR 010: treat as MISSING.' })
  ownerProof?: OwnerProofOutcome;
  @ApiPropertyOptional({ type: ArrivalRetention, description: 'Optional: how long the arrival keeps what it receives.' })
  retention?: ArrivalRetention;
}

/** The departure withdraws an offer before its delivery (the teacher cancelled): the arrival forgets it. */
export class OfferCancelled {
  @ApiProperty({ format: 'uuid' }) offerId: string;
  @ApiProperty({ enum: ['CANCELLED'] }) status: 'CANCELLED';
}

// ---------------------------------------------------------------- delivery (§8.3 flow 4)

const ENT_ID_PATTERN = ENT_ID_REGEXP.source;
const CONTENT_URL_RULE =
  'Absolute URL on the origin of the departure\'s discovered `endpoints.itemContent` (the arrival sends its bearer token there and nowhere else). ' +
  'A GET with a `portability:fetch` token answers 302 to a short-lived URL of the bytes, whose origin must be the gateway\'s own or one of the departure\'s discovered `contentOrigins`; ' +
  'that URL serves `Range` and `If-Match` (ETag). Any other contentUrl makes the delivery 400.';

/** One staged object, as listed in the signed manifest. */
export class ManifestObject {
  @ApiProperty({ pattern: ITEM_ID_PATTERN.source, description: 'An item of the offer the answer accepted (IMPORT, CONVERT or MANUAL).' }) itemId: string;
  @ApiProperty({ enum: OBJECT_ROLES, description: '`content`: the item in the answer\'s `sourceFormat`; `metadata`: its record in the answer\'s `metadata.format`. At most one of each per item; no metadata without content.' })
  role: ObjectRole;
  @ApiProperty({ pattern: FORMAT_ID_PATTERN.source }) format: string;
  @ApiProperty({ example: 'text/html; charset=utf-8', description: 'Media type of the bytes, parameters allowed.' }) mediaType: string;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Exact size in bytes; the arrival refuses a single byte more or less.' }) sizeBytes: number;
  @ApiProperty({ pattern: SHA256_HEX_PATTERN.source, description: 'SHA-256 of the whole object, lower-case hex.' }) sha256: string;
  @ApiProperty({ format: 'uri', description: CONTENT_URL_RULE }) contentUrl: string;
}

/** Names of the delivery index files (§8.3 flow 4: "listes d'indexes ScoLOMFR/Schema.org"). */
export const DELIVERY_INDEX_NAMES = ['index.scolomfr.xml', 'index.jsonld', 'index.html'] as const;
export type DeliveryIndexName = (typeof DELIVERY_INDEX_NAMES)[number];

/** One file of the delivery index, listed in the signed manifest like any object. */
export class ManifestIndexFile {
  @ApiProperty({ enum: DELIVERY_INDEX_NAMES }) name: DeliveryIndexName;
  @ApiProperty({ example: 'text/html; charset=utf-8', description: 'Media type of the bytes, parameters allowed.' }) mediaType: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 64 * 1024 * 1024 }) sizeBytes: number;
  @ApiProperty({ pattern: SHA256_HEX_PATTERN.source }) sha256: string;
  @ApiProperty({ format: 'uri', description: CONTENT_URL_RULE }) contentUrl: string;
}

/**
 * Payload of the manifest JWS (not a request body: documented for implementers). Claims `exp`,
 * `aud`, `iat` are neither expected nor checked: the document names its parties and the offer it
 * belongs to, and lives as long as the offer.
 */
export class DeliveryManifest {
  @ApiProperty({ format: 'uuid', description: 'The offer delivered; also the `transferId` of the content, index and receipt paths.' }) offerId: string;
  @ApiProperty({ pattern: ENT_ID_PATTERN, description: 'Must be the caller (the departure).' }) departureEntId: string;
  @ApiProperty({ pattern: ENT_ID_PATTERN, description: 'Must be the arrival the offer was answered by.' }) arrivalEntId: string;
  @ApiProperty({ format: 'date-time' }) issuedAt: string;
  @ApiProperty({ type: [ManifestObject], minItems: 1, description: 'Every staged object. An accepted item missing here is reported FAILED (not delivered) in the receipt.' })
  objects: ManifestObject[];
  @ApiPropertyOptional({ type: [ManifestIndexFile], description: 'Index of every item as ScoLOMFR XML, schema.org JSON-LD and a human-readable page; each name at most once.' })
  index?: ManifestIndexFile[];
}

/** Protected header of a manifest JWS. */
export class ManifestJwsHeader {
  @ApiProperty({ enum: PEER_JWS_ALGORITHMS }) alg: string;
  @ApiProperty({ enum: [JWS_TYPES.manifest] }) typ: string;
  @ApiProperty({ description: 'Id of the signing key in the departure\'s JWKS (discovery `jwksUri`). A verifier that does not know it reads the discovery document and the JWKS again once.' })
  kid: string;
}

/** Protected header of a receipt JWS. */
export class ReceiptJwsHeader {
  @ApiProperty({ enum: PEER_JWS_ALGORITHMS }) alg: string;
  @ApiProperty({ enum: [JWS_TYPES.receipt] }) typ: string;
  @ApiProperty({ description: 'Id of the signing key in the arrival\'s JWKS (discovery `jwksUri`).' }) kid: string;
}

/** `POST deliveries` body. */
export class DeliveryRequest {
  @ApiProperty({ description: 'Compact JWS (protected header: ManifestJwsHeader) whose payload is a DeliveryManifest, signed by the departure. Resending the same JWS is an idempotent success.' })
  @IsString()
  @MaxLength(2_000_000)
  @Matches(COMPACT_JWS_PATTERN, { message: 'manifest must be a compact JWS' })
  manifest: string;
}

export class DeliveryAccepted {
  @ApiProperty({ format: 'uuid' }) offerId: string;
  @ApiProperty({ enum: Object.keys(PEER_VISIBLE_ARRIVAL_STATES), description: 'The arrival transfer\'s state (see the states table).' }) status: string;
  @ApiProperty({ type: 'integer', description: 'Number of objects announced.' }) objects: number;
}

// ---------------------------------------------------------------- receipt

export class ReceiptItem {
  @ApiProperty({ pattern: ITEM_ID_PATTERN.source }) itemId: string;
  @ApiProperty({ enum: RECEIPT_ITEM_STATUSES, description: 'See the receipt item statuses table.' }) status: ReceiptItemStatus;
  @ApiPropertyOptional({ description: 'Identifier of the imported content in the arrival ENT (IMPORTED).' }) localId?: string;
  @ApiPropertyOptional({ enum: ITEM_FAILURE_REASONS, description: 'Why the item failed: a stable code (see ITEM_FAILURE_REASONS), never a status or message of an internal call.' })
  reason?: ItemFailureReason;
}

/** Payload of the receipt JWS; like the manifest, no `exp`/`aud`/`iat` claims. */
export class Receipt {
  @ApiProperty({ format: 'uuid', description: 'The offer (= transferId).' }) offerId: string;
  @ApiProperty({ pattern: ENT_ID_PATTERN, description: 'Must be the caller (the arrival).' }) arrivalEntId: string;
  @ApiProperty({ pattern: ENT_ID_PATTERN, description: 'Must be the departure receiving it.' }) departureEntId: string;
  @ApiProperty({ format: 'date-time' }) issuedAt: string;
  @ApiProperty({ type: [ReceiptItem], description: 'Every item of the offer, each once.' }) items: ReceiptItem[];
}

/** `POST receipt` body. */
export class ReceiptRequest {
  @ApiProperty({ description: 'Compact JWS (protected header: ReceiptJwsHeader) whose payload is a Receipt, signed by the arrival. Resending the same JWS is an idempotent success.' })
  @IsString()
  @MaxLength(1_000_000)
  @Matches(COMPACT_JWS_PATTERN, { message: 'receipt must be a compact JWS' })
  receipt: string;
}

export class ReceiptAccepted {
  @ApiProperty({ format: 'uuid' }) offerId: string;
  @ApiProperty({ enum: Object.keys(PEER_VISIBLE_DEPARTURE_STATES), description: 'The departure transfer\'s state.' }) status: string;
}

export { SHA256_HEX_PATTERN, UAI_PATTERN };
