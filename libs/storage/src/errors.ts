/**
 * Typed failures of the object store. Callers (staging, fetching, the peer API's problem
 * filter) switch on the class or on `code`, never on a message.
 */
export abstract class StorageError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** More bytes flowed than the caller allowed (§6: oversized input changes nothing). */
export class SizeLimitExceededError extends StorageError {
  readonly code = 'SIZE_LIMIT_EXCEEDED';
  constructor(
    readonly maxBytes: number,
    readonly bytesSeen: number,
  ) {
    super(`object exceeds the limit of ${maxBytes} bytes (at least ${bytesSeen} bytes received)`);
  }
}

/** The stream did not carry the announced number of bytes (§5: verify size). */
export class SizeMismatchError extends StorageError {
  readonly code = 'SIZE_MISMATCH';
  constructor(
    readonly expectedSize: number,
    readonly actualSize: number,
    /** false when the stream was cut as soon as it went past the expected size */
    readonly complete = true,
  ) {
    super(
      complete
        ? `expected ${expectedSize} bytes, received ${actualSize}`
        : `expected ${expectedSize} bytes, received more (at least ${actualSize})`,
    );
  }
}

/** The bytes do not hash to the announced SHA-256 (§5: verify SHA-256). */
export class ChecksumMismatchError extends StorageError {
  readonly code = 'CHECKSUM_MISMATCH';
  constructor(
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(`expected SHA-256 ${expectedSha256}, got ${actualSha256}`);
  }
}

export class InvalidObjectKeyError extends StorageError {
  readonly code = 'INVALID_OBJECT_KEY';
  constructor(
    readonly key: unknown,
    readonly reason: string,
  ) {
    super(`invalid object key ${JSON.stringify(typeof key === 'string' ? key.slice(0, 80) : key)}: ${reason}`);
  }
}

export class ObjectNotFoundError extends StorageError {
  readonly code = 'OBJECT_NOT_FOUND';
  constructor(readonly key: string) {
    super(`no object at key ${JSON.stringify(key)}`);
  }
}

/** A byte range that is malformed, or that starts past the end of the object (HTTP 416). */
export class InvalidRangeError extends StorageError {
  readonly code = 'INVALID_RANGE';
  constructor(message: string) {
    super(message);
  }
}

/**
 * The S3 server sent nothing for `idleTimeoutMs` while a request was under way (a hung server,
 * a cut that left no reset): the connection is closed and the operation fails, so that the job
 * that ran it is retried instead of holding its slot, and its lease, forever.
 */
export class S3TimeoutError extends StorageError {
  readonly code = 'S3_TIMEOUT';
  constructor(readonly idleTimeoutMs: number) {
    super(`the S3 server sent nothing for ${idleTimeoutMs} ms: connection closed`);
  }
}
