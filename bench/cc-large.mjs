#!/usr/bin/env node
/**
 * Benchmark: writing and reading a large Common Cartridge (default 3000 files,
 * ~300 MB of mixed compressible / random data) with @ent/formats, against
 * Info-ZIP `zip -r` / `unzip` on the same data, in the same run. Prints wall
 * time and peak RSS of each, and the ratios.
 *
 *   npm run build && node bench/cc-large.mjs [--files 3000] [--mb 300] [--keep] [--dir <work dir>]
 *
 * Every measured step runs in its own process under GNU time (`/usr/bin/time
 * -f '%e %M'`) so that peak RSS is per step; without GNU time, our steps
 * report their own maxRSS and the zip/unzip RSS is left blank.
 * Not run by the test command.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(HERE, '..', 'dist', 'libs', 'formats', 'src', 'index.js');
const SELF = fileURLToPath(import.meta.url);

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

function loadFormats() {
  if (!existsSync(DIST)) {
    console.error(`${DIST} not found: run \`npm run build\` first`);
    process.exit(2);
  }
  return createRequire(import.meta.url)(DIST);
}

// ---------------------------------------------------------------------------
// Worker mode: one measured operation, result as JSON on stdout.
// ---------------------------------------------------------------------------
async function worker(op, a, b) {
  const f = loadFormats();
  const t0 = process.hrtime.bigint();
  let detail = {};
  if (op === 'write') {
    const folders = readdirSync(a).sort();
    const course = {
      identifier: 'bench:large-course',
      title: 'Cours volumineux (benchmark)',
      language: 'fr',
      updatedAt: '2025-09-01T00:00:00Z',
      sections: folders.map((d) => ({
        title: `Séquence ${d}`,
        items: readdirSync(join(a, d))
          .sort()
          .map((name) => ({ kind: 'file', title: name, fileName: name, mediaType: name.endsWith('.txt') ? 'text/plain' : 'application/octet-stream', data: { path: join(a, d, name) } })),
      })),
    };
    const w = await f.writeCommonCartridgeToFile(course, { version: '1.3' }, b);
    detail = { size: w.size, sha256: w.sha256.slice(0, 16) };
  } else if (op === 'read') {
    const c = await f.readCommonCartridge(a);
    detail = { resources: c.stats.resources, files: c.stats.files, errors: c.findings.filter((x) => x.severity === 'error').length };
  } else if (op === 'extract') {
    const r = await f.extractZipSafely({ path: a }, b);
    detail = { files: r.files, bytes: r.bytes };
  } else if (op === 'validate') {
    const v = await f.validateCommonCartridge13(a);
    detail = { valid: v.valid, xsd: v.xsd.checked };
  } else throw new Error(`unknown op ${op}`);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ ms, maxRssKB: process.resourceUsage().maxRSS, ...detail }));
}

// ---------------------------------------------------------------------------
// Data: a seeded PRNG so that every run writes the same bytes.
// ---------------------------------------------------------------------------
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const WORDS = 'univers galaxie étoile planète lumière distance année vitesse atome molécule énergie force masse onde son chaleur cellule tissu organe espèce évolution gène roche volcan séisme climat océan'.split(' ');

function generate(dir, files, totalMB) {
  const rnd = prng(42);
  const mean = (totalMB * 1024 * 1024) / files;
  const perFolder = 100;
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const folder = join(dir, String(Math.floor(i / perFolder) + 1).padStart(3, '0'));
    if (i % perFolder === 0) mkdirSync(folder, { recursive: true });
    const size = Math.max(1024, Math.round(mean * (0.2 + 1.6 * rnd())));
    let data;
    if (i % 5 < 2) {
      // 40 %: incompressible (photos, PDFs, videos in a real course)
      data = Buffer.alloc(size);
      for (let k = 0; k < size; k += 4) data.writeUInt32LE((rnd() * 0x100000000) >>> 0, Math.min(k, size - 4));
      writeFileSync(join(folder, `media-${i}.bin`), data);
    } else {
      // 60 %: text (pages, documents), compressible
      const parts = [];
      let n = 0;
      while (n < size) {
        const w = `${WORDS[Math.floor(rnd() * WORDS.length)]} ${Math.floor(rnd() * 1000)} `;
        parts.push(w);
        n += Buffer.byteLength(w);
      }
      data = Buffer.from(parts.join('')).subarray(0, size);
      writeFileSync(join(folder, `texte-${i}.txt`), data);
    }
    bytes += size;
  }
  return bytes;
}

// ---------------------------------------------------------------------------
// Measuring.
// ---------------------------------------------------------------------------
const GNU_TIME = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%e %M', 'true']).status === 0;

function measure(cmd, args, cwd) {
  const full = GNU_TIME ? ['/usr/bin/time', ['-f', '__TIME__ %e %M', cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const m = /__TIME__ ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  let inner;
  try {
    inner = JSON.parse(r.stdout);
  } catch {
    inner = undefined;
  }
  return { seconds: m ? Number(m[1]) : wallMs / 1000, rssMB: m ? Number(m[2]) / 1024 : inner ? inner.maxRssKB / 1024 : undefined, inner };
}

const fmt = (n, d = 2) => (n === undefined ? '   n/a' : n.toFixed(d).padStart(7));

async function main() {
  const files = Number(arg('--files', '3000'));
  const mb = Number(arg('--mb', '300'));
  const work = arg('--dir') ? resolve(arg('--dir')) : mkdtempSync(join(tmpdir(), 'ent-bench-cc-'));
  mkdirSync(work, { recursive: true });
  const src = join(work, 'src');
  const ours = join(work, 'ours.imscc');
  const ref = join(work, 'ref.zip');
  loadFormats();
  try {
    console.log(`generating ${files} files, ~${mb} MB in ${src} …`);
    rmSync(src, { recursive: true, force: true });
    const bytes = generate(src, files, mb);
    console.log(`  ${(bytes / 1024 / 1024).toFixed(1)} MB of data (40 % random, 60 % text)`);
    const node = process.execPath;

    const write = measure(node, [SELF, '--worker', 'write', src, ours]);
    const zip = measure('zip', ['-q', '-r', ref, '.'], src);
    const read = measure(node, [SELF, '--worker', 'read', ours]);
    const extract = measure(node, [SELF, '--worker', 'extract', ours, join(work, 'x-ours')]);
    const unzip = measure('unzip', ['-q', ours, '-d', join(work, 'x-unzip')]);
    const validate = measure(node, [SELF, '--worker', 'validate', ours]);

    const sizes = { ours: statSync(ours).size, zip: statSync(ref).size };
    const rows = [
      ['write package (ours) vs zip -r', write, zip],
      ['extract all (ours, checked) vs unzip', extract, unzip],
      ['read manifest + checks (ours)', read, undefined],
      ['validate 1.3 (XSD + profile)', validate, undefined],
    ];
    console.log('');
    console.log(`data: ${files} files, ${(bytes / 1048576).toFixed(1)} MB; package ${(sizes.ours / 1048576).toFixed(1)} MB (ours) / ${(sizes.zip / 1048576).toFixed(1)} MB (zip -r)`);
    console.log(`${'operation'.padEnd(40)}  ours s  ours MB   ref s   ref MB  time×   RSS×`);
    for (const [label, a, b] of rows) {
      console.log(
        `${label.padEnd(40)} ${fmt(a.seconds)} ${fmt(a.rssMB, 1)} ${fmt(b?.seconds)} ${fmt(b?.rssMB, 1)} ${fmt(b ? a.seconds / b.seconds : undefined)} ${fmt(b && a.rssMB && b.rssMB ? a.rssMB / b.rssMB : undefined)}`,
      );
    }
    console.log('');
    console.log(
      JSON.stringify({
        files,
        dataMB: +(bytes / 1048576).toFixed(1),
        packageMB: { ours: +(sizes.ours / 1048576).toFixed(1), zip: +(sizes.zip / 1048576).toFixed(1) },
        write: { ours: write, zip },
        extract: { ours: extract, unzip },
        read,
        validate,
        gnuTime: GNU_TIME,
        node: process.version,
      }),
    );
  } finally {
    if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

if (process.argv[2] === '--worker') {
  worker(process.argv[3], process.argv[4], process.argv[5]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
