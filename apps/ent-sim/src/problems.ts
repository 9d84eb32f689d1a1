import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';

/**
 * Problem types the connector needs beyond the shared PROBLEM_TYPES of the
 * contract (candidates for libs/contract).
 */
export const CONNECTOR_PROBLEM_TYPES = {
  /** 406: the content exists but is not offered in the requested format. */
  formatNotOffered: 'urn:ent-portability:problem:format-not-offered',
  /** 415: the ENT does not import this format (or media type) for this category. */
  unsupportedFormat: 'urn:ent-portability:problem:unsupported-format',
  /** 422: the ENT does not import this category at all. */
  categoryNotImportable: 'urn:ent-portability:problem:category-not-importable',
  /** 422: the bytes are not what the format says (not a cartridge, wrong version, not a PDF…). */
  invalidContent: 'urn:ent-portability:problem:invalid-content',
} as const;

export const problems = {
  notFound: (detail: string) => new ProblemError(404, PROBLEM_TYPES.notFound, 'Not found', detail),
  unknownUser: (detail: string) => new ProblemError(404, PROBLEM_TYPES.unknownUser, 'No account for this user', detail),
  unauthenticated: (detail: string) => new ProblemError(401, PROBLEM_TYPES.unauthenticated, 'Authentication required', detail),
  invalidToken: (detail: string) => new ProblemError(401, PROBLEM_TYPES.invalidToken, 'Invalid token', detail),
  tooLarge: (detail: string) => new ProblemError(413, PROBLEM_TYPES.payloadTooLarge, 'Payload too large', detail),
  formatNotOffered: (detail: string) =>
    new ProblemError(406, CONNECTOR_PROBLEM_TYPES.formatNotOffered, 'Format not offered for this content', detail),
  unsupportedFormat: (detail: string) =>
    new ProblemError(415, CONNECTOR_PROBLEM_TYPES.unsupportedFormat, 'Format not imported by this ENT', detail),
  categoryNotImportable: (detail: string) =>
    new ProblemError(422, CONNECTOR_PROBLEM_TYPES.categoryNotImportable, 'Category not imported by this ENT', detail),
  invalidContent: (detail: string) =>
    new ProblemError(422, CONNECTOR_PROBLEM_TYPES.invalidContent, 'Content does not match its format', detail),
};

/** OpenAPI shape of an RFC 9457 problem (application/problem+json). */
/** The one RFC 9457 document of both contracts (libs/contract). */
export { Problem as ProblemResponse } from '@ent/contract';
