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
  profileNotAllowed: 'urn:ent-portability:problem:profile-not-allowed',
  notFound: 'urn:ent-portability:problem:not-found',
  conflict: 'urn:ent-portability:problem:conflict',
  invalidState: 'urn:ent-portability:problem:invalid-state',
  invalidSignature: 'urn:ent-portability:problem:invalid-signature',
  peerUnavailable: 'urn:ent-portability:problem:peer-unavailable',
  unknownArrival: 'urn:ent-portability:problem:unknown-arrival',
  rateLimited: 'urn:ent-portability:problem:rate-limited',
  /** The arrival has no room for the delivery now (413): the departure pauses, it does not retry. */
  destinationFull: 'urn:ent-portability:problem:destination-full',
  /** Connector: the ENT has no account for this user (yet); the gateway waits for it, it does not fail. */
  unknownUser: 'urn:ent-portability:problem:unknown-user',
  internal: 'urn:ent-portability:problem:internal',
} as const;
export type ProblemType = (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES];

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
