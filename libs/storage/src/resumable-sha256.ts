import { createHash, type Hash } from 'node:crypto';
import { createSHA256, type IHasher } from 'hash-wasm';

/**
 * SHA-256 of a stream that is hashed on the way up, in one of two flavours:
 * - native (OpenSSL, fastest) when nothing needs to outlive the process;
 * - resumable, whose internal state can be saved at a part boundary and restored by another
 *   process after a crash, so that a multipart upload resumed at byte N does not have to read
 *   bytes 0..N again to know the SHA-256 of the whole object (ADR 006).
 */
export interface StreamHasher {
  update(bytes: Uint8Array): void;
  /** Lower-case hex digest; the hasher cannot be used afterwards. */
  digestHex(): string;
}

export class NativeSha256 implements StreamHasher {
  private readonly hash: Hash = createHash('sha256');

  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }

  digestHex(): string {
    return this.hash.digest('hex');
  }
}

/**
 * The saved state names its format: a state written by another implementation (or another
 * version of the WebAssembly module that cannot read it) is refused, and the caller starts the
 * object again from byte 0 rather than trusting a digest it cannot rebuild.
 */
const STATE_FORMAT = 'sha256-hash-wasm-1';

export class HashStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HashStateError';
  }
}

export class ResumableSha256 implements StreamHasher {
  private constructor(private readonly hasher: IHasher) {}

  static async create(): Promise<ResumableSha256> {
    const hasher = await createSHA256();
    hasher.init();
    return new ResumableSha256(hasher);
  }

  /** Rebuilds a hasher from `save()`'s output; HashStateError when the state cannot be used. */
  static async restore(state: string): Promise<ResumableSha256> {
    const sep = state.indexOf(':');
    if (sep < 0 || state.slice(0, sep) !== STATE_FORMAT) {
      throw new HashStateError(`hash state is not in format ${STATE_FORMAT}`);
    }
    const hasher = await createSHA256();
    try {
      hasher.load(Buffer.from(state.slice(sep + 1), 'base64'));
    } catch (err) {
      throw new HashStateError(`hash state cannot be loaded: ${(err as Error).message}`);
    }
    return new ResumableSha256(hasher);
  }

  update(bytes: Uint8Array): void {
    this.hasher.update(bytes);
  }

  /**
   * The state after every byte given so far, as text. It reveals up to one block (64 bytes) of
   * the input that is not yet compressed: store it with the care owed to the content itself.
   */
  save(): string {
    return `${STATE_FORMAT}:${Buffer.from(this.hasher.save()).toString('base64')}`;
  }

  digestHex(): string {
    return this.hasher.digest('hex');
  }
}
