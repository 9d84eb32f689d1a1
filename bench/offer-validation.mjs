// Validation of a `POST offers` body, in process: the global ValidationPipe on the Offer class
// (class-transformer + class-validator) against the offer's compiled JSON Schema (ajv), at 10,
// 100 and 500 items, alternated, median of many runs. A few seconds of one core.
// Usage: npm run build && node bench/offer-validation.mjs
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import os from 'node:os';

const require = createRequire(import.meta.url);
const { Offer, validateOfferBody } = require('../dist/libs/contract/src/index.js');
const { createValidationPipe } = require('../dist/libs/common/src/index.js');

const offer = (n) => ({
  offerId: '6f1c2b1e-8d3a-4c1e-9f2a-1b2c3d4e5f60',
  contractVersion: '1',
  departure: { entId: 'ent-a', uai: '0750001A' },
  arrival: { uai: '0690002B' },
  owner: { identityClaim: 'sub', identity: 'teacher-42', displayName: 'Marie Curie' },
  expiresAt: '2030-01-01T00:00:00Z',
  items: Array.from({ length: n }, (_, i) => ({
    itemId: `item-${i}`,
    title: `Séquence ${i} — optique géométrique, exercices et corrigés`,
    category: i % 2 ? 'STOCKAGE_PARTAGE' : 'PARCOURS_PEDAGOGIQUE',
    formats: [
      { format: 'imscc-1.3', mediaType: 'application/vnd.ims.imsccv1p3', sizeBytes: 1000 + i },
      { format: 'binary', mediaType: 'application/pdf', sizeBytes: 2000 + i },
    ],
    metadata: [{ format: 'scolomfr-3.1' }],
  })),
});

const pipe = createValidationPipe();
const metadata = { type: 'body', metatype: Offer, data: undefined };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`offer validation, in process — node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`);
console.log('items | class-validator (ms) | ajv (ms) | ratio');
for (const [n, runs] of [[10, 300], [100, 100], [500, 40]]) {
  const json = JSON.stringify(offer(n));
  const reference = [];
  const compiled = [];
  for (let r = 0; r < runs + 5; r++) {
    // Each run validates a freshly parsed body, as a request would.
    let body = JSON.parse(json);
    let t = performance.now();
    await pipe.transform(body, metadata);
    const a = performance.now() - t;
    body = JSON.parse(json);
    t = performance.now();
    const result = validateOfferBody(body);
    const b = performance.now() - t;
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    if (r >= 5) reference.push(a), compiled.push(b); // the first runs warm up
  }
  const [ref, ajv] = [median(reference), median(compiled)];
  console.log(`${String(n).padStart(5)} | ${ref.toFixed(3).padStart(20)} | ${ajv.toFixed(3).padStart(8)} | ${(ref / ajv).toFixed(1)}×`);
}
