import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Hostile documents built by hand (no zip library would write them): a zip-slip archive, a zip
 * bomb, an XXE / billion-laughs XML record. The gateway is expected to carry them as opaque bytes.
 */
interface RawEntry {
  name: string;
  data: Buffer;
  /** 0 = stored, 8 = deflated */
  method?: 0 | 8;
}

/** A minimal PKZIP archive whose entry names are written exactly as given (e.g. "../../x"). */
export function rawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const method = e.method ?? 0;
    const body = method === 8 ? deflateRawSync(e.data, { level: 9 }) : e.data;
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Entries that climb out of the extraction directory, absolute and Windows-style. */
export function zipSlip(): Buffer {
  return rawZip([
    { name: 'imsmanifest.xml', data: Buffer.from('<?xml version="1.0"?><manifest identifier="slip"/>') },
    { name: '../../../../tmp/ent-portability-zip-slip.txt', data: Buffer.from('written outside the extraction directory\n') },
    { name: '/etc/cron.d/ent-portability-zip-slip', data: Buffer.from('* * * * * root touch /tmp/pwned\n') },
    { name: '..\\..\\windows\\evil.txt', data: Buffer.from('backslash traversal\n') },
  ]);
}

/** 32 MiB of zeros deflated to a few tens of KiB, twice (ratio ~1000:1). */
export function zipBomb(): Buffer {
  const zeros = Buffer.alloc(32 * 1024 * 1024);
  return rawZip([
    { name: 'a.bin', data: zeros, method: 8 },
    { name: 'b.bin', data: zeros, method: 8 },
  ]);
}

/** A ScoLOMFR-looking record with an external entity (XXE) and a billion-laughs expansion. */
export function xxeRecord(): Buffer {
  const laughs = ['<!ENTITY lol "lol">'];
  for (let i = 1; i <= 9; i++) laughs.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`);
  return Buffer.from(
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<!DOCTYPE lom [',
      '  <!ENTITY xxe SYSTEM "file:///etc/passwd">',
      '  <!ENTITY remote SYSTEM "http://127.0.0.1:9/xxe">',
      ...laughs.map((l) => `  ${l}`),
      ']>',
      '<lom xmlns="http://ltsc.ieee.org/xsd/LOM">',
      '  <general><title><string language="fr">&xxe;&remote;&lol9;</string></title></general>',
      '</lom>',
      '',
    ].join('\n'),
    'utf8',
  );
}
