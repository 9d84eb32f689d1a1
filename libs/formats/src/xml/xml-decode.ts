import { FormatError } from '../errors';

/**
 * Decodes the bytes of an XML document into a string, the way an XML
 * processor does: byte-order mark first, then the `encoding` of the XML
 * declaration, UTF-8 by default. Real cartridges carry ISO-8859-1 QTI files
 * (IMS test data, Canvas), which a plain `toString('utf8')` would garble.
 *
 * Only encodings that WHATWG TextDecoder knows are accepted; an unknown one is
 * a typed error rather than a silent mis-decoding.
 */
export function decodeXmlBytes(bytes: Buffer): string {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return strictDecode(bytes.subarray(3), 'utf-8');
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return strictDecode(bytes.subarray(2), 'utf-16le');
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return strictDecode(bytes.subarray(2), 'utf-16be');
  // UTF-16 without BOM: "<?" as 16-bit units.
  if (bytes.length >= 4 && bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] === 0x3f && bytes[3] === 0x00) {
    return strictDecode(bytes, 'utf-16le');
  }
  if (bytes.length >= 4 && bytes[0] === 0x00 && bytes[1] === 0x3c && bytes[2] === 0x00 && bytes[3] === 0x3f) {
    return strictDecode(bytes, 'utf-16be');
  }
  const head = bytes.subarray(0, 200).toString('latin1');
  const m = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']/.exec(head);
  const declared = (m?.[1] ?? 'utf-8').toLowerCase();
  if (declared === 'utf-8' || declared === 'utf8') return strictDecode(bytes, 'utf-8');
  if (declared === 'us-ascii' || declared === 'ascii') return strictDecode(bytes, 'utf-8');
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(declared, { fatal: true });
  } catch {
    throw new FormatError('XML_MALFORMED', `unsupported XML encoding ${JSON.stringify(m?.[1])}`, 'UNSUPPORTED_ENCODING');
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new FormatError('XML_MALFORMED', `XML bytes are not valid ${declared}`, 'INVALID_ENCODING');
  }
}

function strictDecode(bytes: Buffer | Uint8Array, encoding: string): string {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError('XML_MALFORMED', `XML bytes are not valid ${encoding}`, 'INVALID_ENCODING');
  }
}
