/**
 * RFC 9457 problem types. The `type` URIs are stable: clients switch on them,
 * never on `title` or `detail`.
 */
export const PROBLEM_TYPES = {
  validation: 'urn:ent-portability:problem:validation-failed',
  malformedJson: 'urn:ent-portability:problem:malformed-json',
  payloadTooLarge: 'urn:ent-portability:problem:payload-too-large',
  unauthenticated: 'urn:ent-portability:problem:unauthenticated',
  invalidToken: 'urn:ent-portability:problem:invalid-token',
  wrongAudience: 'urn:ent-portability:problem:wrong-audience',
  insufficientScope: 'urn:ent-portability:problem:insufficient-scope',
  unknownPeer: 'urn:ent-portability:problem:unknown-peer',
  forbidden: 'urn:ent-portability:problem:forbidden',
  /** The signed-in account's national profile is not admitted to the transfer service (PORTABILITY_PROFILES). */
  /** A state-changing teacher request sent by a browser from another site (Origin / Sec-Fetch-Site). */
  crossSiteRequest: 'urn:ent-portability:problem:cross-site-request',
  profileNotAllowed: 'urn:ent-portability:problem:profile-not-allowed',
  notFound: 'urn:ent-portability:problem:not-found',
  conflict: 'urn:ent-portability:problem:conflict',
  invalidState: 'urn:ent-portability:problem:invalid-state',
  invalidSignature: 'urn:ent-portability:problem:invalid-signature',
  peerUnavailable: 'urn:ent-portability:problem:peer-unavailable',
  unknownArrival: 'urn:ent-portability:problem:unknown-arrival',
  /** The offer's departure UAI is not one the calling peer serves (the arrival's peer registry). */
  unknownDeparture: 'urn:ent-portability:problem:unknown-departure',
  rateLimited: 'urn:ent-portability:problem:rate-limited',
  /** The arrival has no room for the delivery now (413): the departure pauses, it does not retry. */
  destinationFull: 'urn:ent-portability:problem:destination-full',
  /** Connector: the ENT has no account for this user (yet); the gateway waits for it, it does not fail. */
  unknownUser: 'urn:ent-portability:problem:unknown-user',
  /** The callee cannot reach its own database now (failover): nothing was recorded, retry later. */
  serviceUnavailable: 'urn:ent-portability:problem:service-unavailable',
  internal: 'urn:ent-portability:problem:internal',
} as const;
export type ProblemType = (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES];

/** What a caller does on receiving a problem (the peer contract's retry rules). */
export type ProblemReaction = 'final' | 'retry-with-backoff' | 'retry-after' | 'pause' | 'refresh-then-retry-once';

export interface ProblemTypeDescription {
  type: ProblemType;
  /** HTTP statuses it comes with. */
  statuses: number[];
  /** Where it can be answered: the peer contract, the teacher API, or both. */
  scope: 'peer' | 'teacher' | 'both' | 'connector';
  meaning: string;
  reaction: ProblemReaction;
  /** What the caller does, in a sentence. */
  callerAction: string;
}

/**
 * Every problem type with its status, meaning and the caller's expected reaction: published in
 * the OpenAPI document (`x-problem-types`) and in docs/contract, generated from this table.
 */
export const PROBLEM_CATALOGUE: readonly ProblemTypeDescription[] = [
  { type: PROBLEM_TYPES.validation, statuses: [400], scope: 'both', reaction: 'final',
    meaning: 'The request body, a parameter, or the content of a signed manifest or receipt is invalid; `errors[]` names each offending field by its dotted path. Unknown fields are refused.',
    callerAction: 'Do not resend the same request: it will be refused again. Fix the sender.' },
  { type: PROBLEM_TYPES.malformedJson, statuses: [400], scope: 'both', reaction: 'final',
    meaning: 'The body is not valid JSON (or not UTF-8 JSON).', callerAction: 'Fix the sender.' },
  { type: PROBLEM_TYPES.payloadTooLarge, statuses: [413], scope: 'both', reaction: 'final',
    meaning: 'The request body exceeds the callee\'s `limits.maxBodyBytes` (discovery).', callerAction: 'Send less per request (e.g. split the offer).' },
  { type: PROBLEM_TYPES.unauthenticated, statuses: [401], scope: 'both', reaction: 'refresh-then-retry-once',
    meaning: 'No bearer token (peer) or no session (teacher).', callerAction: 'Obtain a client-credentials token for the callee\'s discovered `audience` and the operation\'s scope, and retry once.' },
  { type: PROBLEM_TYPES.invalidToken, statuses: [401], scope: 'peer', reaction: 'refresh-then-retry-once',
    meaning: 'The token does not verify against the IdP (signature, issuer, `typ at+jwt`, expiry, required claims).', callerAction: 'Obtain a fresh token and retry once; if it is refused again, the failure is final.' },
  { type: PROBLEM_TYPES.wrongAudience, statuses: [403], scope: 'peer', reaction: 'refresh-then-retry-once',
    meaning: 'The token is valid but meant for another gateway.', callerAction: 'Read the callee\'s discovery document again, request a token for its `audience`, retry once.' },
  { type: PROBLEM_TYPES.insufficientScope, statuses: [403], scope: 'peer', reaction: 'final',
    meaning: 'The token lacks the scope of the operation.', callerAction: 'Configuration: the caller\'s IdP client must be granted the scope.' },
  { type: PROBLEM_TYPES.unknownPeer, statuses: [403], scope: 'peer', reaction: 'final',
    meaning: 'The token\'s `client_id` is not in the callee\'s peer registry.', callerAction: 'Configuration: both ENTs must register each other.' },
  { type: PROBLEM_TYPES.forbidden, statuses: [403], scope: 'both', reaction: 'final',
    meaning: 'The caller may not do this, e.g. an offer whose `departure.entId` is not the caller.', callerAction: 'Final.' },
  { type: PROBLEM_TYPES.crossSiteRequest, statuses: [403], scope: 'teacher', reaction: 'final',
    meaning: 'A state-changing request carrying the browser\'s cookies came from another site: its `Origin` is not the gateway\'s (nor one of `CSRF_TRUSTED_ORIGINS`), or `Sec-Fetch-Site` says `same-site`/`cross-site`. Nothing was changed.', callerAction: 'Final: act from the gateway\'s own pages.' },
  { type: PROBLEM_TYPES.profileNotAllowed, statuses: [403], scope: 'teacher', reaction: 'final',
    meaning: 'The signed-in account\'s national profile is not admitted to the transfer service.', callerAction: 'Final (a French explanation is in `detail`).' },
  { type: PROBLEM_TYPES.notFound, statuses: [404], scope: 'both', reaction: 'final',
    meaning: 'No such offer, transfer, item or object addressed to the caller.', callerAction: 'Final for the object; when a whole endpoint answers 404, read the callee\'s discovery document again first (it may have moved).' },
  { type: PROBLEM_TYPES.conflict, statuses: [409], scope: 'peer', reaction: 'final',
    meaning: 'The offer id, manifest or receipt was already received with different content. Resending the identical request is an idempotent success, never a conflict.', callerAction: 'Final: never reuse an offer id for different content.' },
  { type: PROBLEM_TYPES.invalidState, statuses: [409], scope: 'both', reaction: 'final',
    meaning: 'The transfer is not in a state that admits the request (delivery before the answer or after expiry, content of a transfer not or no longer delivered).', callerAction: 'Final for this transfer.' },
  { type: PROBLEM_TYPES.invalidSignature, statuses: [400], scope: 'peer', reaction: 'final',
    meaning: 'The manifest or receipt does not verify against the signer\'s published JWKS (after one refresh of its discovery and JWKS on an unknown `kid`): altered bytes, another key, an algorithm outside ES256/RS256/PS256/EdDSA, a wrong `typ`, no `kid`. Nothing was recorded.', callerAction: 'Final for that document: check the keys the signer publishes.' },
  { type: PROBLEM_TYPES.peerUnavailable, statuses: [502, 503], scope: 'both', reaction: 'retry-with-backoff',
    meaning: 'The callee needed a third party and could not reach it: the signer\'s discovery document or JWKS (503, nothing recorded), the IdP, the ENT it imports into (offers and capabilities: 503, nothing recorded), or (teacher API) the other ENT.', callerAction: 'Retry later with exponential backoff.' },
  { type: PROBLEM_TYPES.unknownArrival, statuses: [422], scope: 'both', reaction: 'final',
    meaning: 'The offer\'s arrival UAI is not served by the callee (or, teacher API, by any registered peer).', callerAction: 'Final: route by the peer registry\'s UAIs.' },
  { type: PROBLEM_TYPES.unknownDeparture, statuses: [422], scope: 'peer', reaction: 'final',
    meaning: 'The offer\'s `departure.uai` is not among the UAIs the callee\'s peer registry lists for the caller: a peer speaks for its own schools only (a school the caller\'s discovery document lists does not count until the arrival\'s operator registers it). Nothing was recorded.', callerAction: 'Final: send the teacher\'s school; ask the arrival\'s operator to register a school you serve and it does not list.' },
  { type: PROBLEM_TYPES.rateLimited, statuses: [429], scope: 'both', reaction: 'retry-after',
    meaning: 'Too many requests from this client address.', callerAction: 'Come back after `Retry-After` seconds; it does not count as a failed attempt.' },
  { type: PROBLEM_TYPES.destinationFull, statuses: [413], scope: 'both', reaction: 'pause',
    meaning: 'The arrival cannot hold this delivery now (storage quota); nothing was recorded.', callerAction: 'Pause the transfer (no automatic retry) and deliver the same manifest again when the teacher resumes.' },
  { type: PROBLEM_TYPES.unknownUser, statuses: [404], scope: 'connector', reaction: 'pause',
    meaning: 'Connector contract: the ENT has no account for this user yet (a teacher who moves over the summer).', callerAction: 'Not final: the gateway keeps the item and imports it once the ENT reports the account (connector event) or on a later attempt.' },
  { type: PROBLEM_TYPES.serviceUnavailable, statuses: [503], scope: 'both', reaction: 'retry-with-backoff',
    meaning: 'The callee cannot reach its own database now (a failover, a restart): the request was not recorded, or its transaction was rolled back. Carries `Retry-After`.', callerAction: 'Retry later with exponential backoff; every peer operation is idempotent, so resend the same request.' },
  { type: PROBLEM_TYPES.internal, statuses: [500], scope: 'both', reaction: 'retry-with-backoff',
    meaning: 'A fault of the answering gateway, and nothing else; `requestId` correlates with its logs.', callerAction: 'Retry with exponential backoff, a bounded number of times.' },
];

/** A status the contract gives no URN of its own (405, 406, 415…): RFC 9457 §4.2.1 `about:blank`. */
export const GENERIC_PROBLEM_DESCRIPTION = {
  type: 'about:blank',
  meaning: 'A status with no meaning beyond HTTP (405, 406, 415…), the status phrase as `title`.',
  callerAction: '4xx: final (fix the request); 5xx: retry with backoff.',
} as const;

export interface ProblemDetails {
  type: ProblemType | string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Correlation id of the request, also on every log line. */
  requestId?: string;
  /** For validation problems: one entry per offending field (dotted path). */
  errors?: { field: string; messages: string[] }[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ProblemFieldError {
  @ApiProperty({ example: 'items[0].category' }) field: string;
  @ApiProperty({ type: [String] }) messages: string[];
}

/** RFC 9457 problem document, as every error of both contracts is answered. */
export class Problem implements ProblemDetails {
  @ApiProperty({ description: 'Stable problem type URI; switch on it.', example: PROBLEM_TYPES.validation }) type: string;
  @ApiProperty() title: string;
  @ApiProperty() status: number;
  @ApiPropertyOptional() detail?: string;
  @ApiPropertyOptional() instance?: string;
  @ApiPropertyOptional({ description: 'Correlation id, also in the X-Request-Id header and the logs.' }) requestId?: string;
  @ApiPropertyOptional({ type: [ProblemFieldError] }) errors?: ProblemFieldError[];
}
