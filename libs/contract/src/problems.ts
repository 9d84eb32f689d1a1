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
  notFound: 'urn:ent-portability:problem:not-found',
  conflict: 'urn:ent-portability:problem:conflict',
  invalidState: 'urn:ent-portability:problem:invalid-state',
  invalidSignature: 'urn:ent-portability:problem:invalid-signature',
  peerUnavailable: 'urn:ent-portability:problem:peer-unavailable',
  unknownArrival: 'urn:ent-portability:problem:unknown-arrival',
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
