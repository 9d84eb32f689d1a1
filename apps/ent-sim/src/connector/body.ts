import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { problems } from '../problems';

export interface ReceivedBody {
  sizeBytes: number;
  sha256: string;
}

/**
 * Streams a request body to `path` (never held in memory), hashing it on the
 * way. Fails with 413 as soon as more than `maxBytes` arrived (the rest is not
 * read), and with an error when the client goes away. The caller removes the
 * file on failure.
 */
export function receiveBodyToFile(req: IncomingMessage, path: string, maxBytes: number): Promise<ReceivedBody> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    let size = 0;
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      req.pause();
      req.removeListener('data', onData);
      out.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        fail(problems.tooLarge(`the body exceeds the ${maxBytes}-byte limit of this ENT`));
        return;
      }
      hash.update(chunk);
      if (!out.write(chunk)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!done) out.end();
    });
    req.once('error', (e) => fail(e));
    req.once('close', () => {
      if (!req.complete) fail(new Error('the client closed the connection before the end of the body'));
    });
    out.once('error', (e) => fail(e));
    out.once('close', () => {
      if (done) return;
      done = true;
      // The data is on disk once the stream closed; make it durable before it is committed.
      fs.open(path, 'r+')
        .then(async (fh) => {
          try {
            await fh.sync();
          } finally {
            await fh.close();
          }
        })
        .then(() => resolve({ sizeBytes: size, sha256: hash.digest('hex') }), reject);
    });
  });
}

/** Reads a small body (bounded) into memory. */
export function readSmallBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.pause();
        reject(problems.tooLarge(`the body exceeds ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.once('error', (e) => {
      if (!done) {
        done = true;
        reject(e);
      }
    });
  });
}
