/** Stream helpers for the converters: bounded reads, spooling to a private temporary file. */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FormatError } from '../errors';

export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** The whole input in memory, refused beyond `maxBytes`. */
export async function readAll(input: Readable | Buffer, maxBytes = DEFAULT_MAX_INPUT_BYTES): Promise<Buffer> {
  if (Buffer.isBuffer(input)) {
    if (input.length > maxBytes) throw new FormatError('INVALID_INPUT', `input is ${input.length} bytes, limit is ${maxBytes}`);
    return input;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += b.length;
    if (size > maxBytes) {
      input.destroy();
      throw new FormatError('INVALID_INPUT', `input exceeds ${maxBytes} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export interface Spooled {
  dir: string;
  path: string;
  cleanup(): Promise<void>;
}

/** A private temporary folder (mode 0700) holding `input` as a file. */
export async function spool(input: Readable | Buffer, name = 'input'): Promise<Spooled> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'ent-convert-'));
  const path = join(dir, name);
  const cleanup = () => fs.rm(dir, { recursive: true, force: true });
  try {
    if (Buffer.isBuffer(input)) await fs.writeFile(path, input, { mode: 0o600 });
    else await pipeline(input, createWriteStream(path, { mode: 0o600 }));
    return { dir, path, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Reads a file as a stream and removes `cleanup`'s folder once the stream is done (ended, failed or destroyed). */
export function streamThenCleanup(path: string, cleanup: () => Promise<void>): Readable {
  const s = createReadStream(path);
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    void cleanup();
  };
  s.on('close', once);
  s.on('error', once);
  return s;
}

export function isZip(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05);
}
