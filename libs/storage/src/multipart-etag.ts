import { createHash } from 'node:crypto';

/**
 * The ETag S3 gives an object completed from multipart parts: the MD5 of the parts' binary MD5s
 * (their ETags), followed by `-` and the number of parts. It lets a resume recognise, from its
 * checkpoint alone, the object it completed itself before a crash (ADR 013).
 */
export function multipartEtag(parts: { etag: string }[]): string {
  const md5s = parts.map((p) => Buffer.from(p.etag.replace(/^"|"$/g, ''), 'hex'));
  return `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${parts.length}`;
}
