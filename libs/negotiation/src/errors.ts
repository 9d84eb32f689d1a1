export type NegotiationInputErrorCode =
  /** The same itemId appears twice in one offer: answering twice would be ambiguous. */
  | 'DUPLICATE_ITEM_ID'
  /** A converter descriptor is malformed (empty id, non-positive cost, duplicate id…). */
  | 'INVALID_CONVERTER'
  /** An argument of the API itself is out of range (e.g. `now` is not a valid date). */
  | 'INVALID_ARGUMENT';

/**
 * Thrown for input that negotiation refuses to answer because the caller made
 * a mistake (the validator or the gateway configuration should have caught it),
 * never for odd-but-valid peer data, which always gets a decision.
 */
export class NegotiationInputError extends Error {
  override readonly name = 'NegotiationInputError';

  constructor(
    readonly code: NegotiationInputErrorCode,
    message: string,
    /** What was wrong, e.g. the duplicated item ids or the converter id. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
