/*
 * Generates the two published contracts from the code, as OpenAPI 3.1:
 *   docs/openapi/peer-v1.json       gateway ↔ gateway (peer contract v1)
 *   docs/openapi/connector-v1.json  gateway ↔ its own ENT (connector contract v1)
 * `node dist/scripts/openapi.js` writes them; `--check` fails when the committed
 * files differ from what the code says (a contract change must show in review).
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import {
  CONNECTOR_EVENTS_PATH,
  GENERIC_PROBLEM_DESCRIPTION,
  JWS_TYPES,
  PEER_JWS_ALGORITHMS,
  PEER_VISIBLE_ARRIVAL_STATES,
  PEER_VISIBLE_DEPARTURE_STATES,
  PROBLEM_CATALOGUE,
  RECEIPT_ITEM_STATUS_MEANINGS,
} from '@ent/contract';
import { createGatewayApp } from '../apps/gateway/src/app.factory';
import { loadGatewayConfig } from '../apps/gateway/src/config';
import { createEntSimApp } from '../apps/ent-sim/src/app';
import { loadEntSimConfig } from '../apps/ent-sim/src/config';

const ROOT = existsSync(join(__dirname, '..', 'package.json')) ? resolve(__dirname, '..') : resolve(__dirname, '..', '..');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** OpenAPI 3.0 (what @nestjs/swagger emits) → 3.1: `nullable` becomes a type union. */
function to31(node: Json): Json {
  if (Array.isArray(node)) return node.map(to31);
  if (node && typeof node === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(node)) out[k] = to31(v);
    if (out.nullable === true) {
      delete out.nullable;
      if (typeof out.type === 'string') out.type = [out.type, 'null'];
    }
    return out;
  }
  return node;
}

/** Sorted keys (arrays keep their order): the same code gives the same bytes. */
function sortKeys(node: Json): Json {
  if (Array.isArray(node)) return node.map(sortKeys);
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.keys(node).sort().map((k) => [k, sortKeys((node as { [k: string]: Json })[k])]));
  }
  return node;
}

function finish(doc: object): string {
  const d = to31(JSON.parse(JSON.stringify(doc))) as { [k: string]: Json };
  d.openapi = '3.1.0';
  return JSON.stringify(sortKeys(d), null, 2) + '\n';
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The parts of the peer contract that are rules rather than endpoints, generated from the
 * tables the gateway itself runs on: problem types with the caller's reaction, peer-visible
 * states, signed-document headers, versioning.
 */
function peerContractRules(): string {
  const problems = [
    '| type | status | where | meaning | caller\'s reaction |',
    '| --- | --- | --- | --- | --- |',
    ...PROBLEM_CATALOGUE.map((p) => `| \`${p.type}\` | ${p.statuses.join(', ')} | ${p.scope} | ${cell(p.meaning)} | **${p.reaction}**: ${cell(p.callerAction)} |`),
    `| \`${GENERIC_PROBLEM_DESCRIPTION.type}\` | other | both | ${cell(GENERIC_PROBLEM_DESCRIPTION.meaning)} | ${cell(GENERIC_PROBLEM_DESCRIPTION.callerAction)} |`,
  ];
  const table = (rows: Record<string, string>) => ['| value | meaning |', '| --- | --- |', ...Object.entries(rows).map(([k, v]) => `| \`${k}\` | ${cell(v)} |`)];
  return [
    '## Identifiers',
    'The departure chooses the `offerId` (a UUID). The same value is the `transferId` of the content, metadata, index and receipt paths, and the `offerId` of the manifest and the receipt: one id names the offer and the transfer on both sides.',
    '',
    '## Signed documents',
    `Manifests and receipts are compact JWS (RFC 7515), protected header \`{alg, typ, kid}\` only: \`alg\` one of ${PEER_JWS_ALGORITHMS.map((a) => `\`${a}\``).join(', ')} (anything else, \`none\` and HMAC included, is refused), \`typ\` \`${JWS_TYPES.manifest}\` or \`${JWS_TYPES.receipt}\`, \`kid\` required, naming a key of the signer's JWKS (its discovery \`jwksUri\`). The payload is the JSON object of the schema \`DeliveryManifest\` or \`Receipt\`; no \`exp\`, \`aud\` or \`iat\` claim is expected (the document names its parties and offer, and lives as long as the offer). A verifier that meets an unknown \`kid\` reads the signer's discovery document and JWKS again once before refusing with \`invalid-signature\`.`,
    '',
    '## Content origins',
    'Every `contentUrl` of a manifest is on the origin of the departure\'s discovered `endpoints.itemContent` (any other is a 400 for the whole delivery). It answers 302 to a URL whose origin is that same origin or one of the departure\'s discovered `contentOrigins` (its S3 endpoint, a CDN); the arrival follows it without the bearer token and refuses any other origin.',
    '',
    '## Problem types',
    'Every error is `application/problem+json` (RFC 9457). Switch on `type`; for an unknown `type`, react to the status.',
    '',
    ...problems,
    '',
    '## States a peer observes',
    'Arrival transfer (`DeliveryAccepted.status`):',
    '',
    ...table(PEER_VISIBLE_ARRIVAL_STATES),
    '',
    'Departure transfer (`ReceiptAccepted.status`):',
    '',
    ...table(PEER_VISIBLE_DEPARTURE_STATES),
    '',
    'Receipt items (`Receipt.items[].status`):',
    '',
    ...table(RECEIPT_ITEM_STATUS_MEANINGS),
    '',
    '## Versioning',
    readFileSync(join(ROOT, 'docs', 'contract', 'versioning.md'), 'utf8').trim(),
    '',
  ].join('\n');
}

/** JSON Schema rules @nestjs/swagger cannot express, added to the generated components. */
function refinePeerSchemas(doc: { components?: { schemas?: Record<string, any> } } & Record<string, any>) {
  const schemas = doc.components!.schemas!;
  schemas.ReceiptItem.allOf = [
    { if: { properties: { status: { const: 'IMPORTED' } } }, then: { required: ['localId'] } },
    { if: { properties: { status: { const: 'FAILED' } } }, then: { required: ['reason'] } },
  ];
  for (const name of ['ManifestJwsHeader', 'ReceiptJwsHeader']) schemas[name].additionalProperties = false;
  // A nullable reference: the generator drops `nullable` beside a $ref, JSON Schema says it with oneOf.
  const metadata = schemas.ItemDecision.properties.metadata;
  schemas.ItemDecision.properties.metadata = { description: metadata.description, oneOf: [{ $ref: '#/components/schemas/MetadataDecision' }, { type: 'null' }] };
  doc['x-problem-types'] = PROBLEM_CATALOGUE.map((p) => ({ ...p }));
}

/**
 * The gateway's side of the connector contract: the events the ENT sends to its gateway. They
 * are not peer contract; they go into the connector document as OpenAPI 3.1 `webhooks` (requests
 * the ENT, the provider of that API, initiates).
 */
interface EventsPart {
  operation: Json;
  schemas: Record<string, Json>;
}

async function peerDocument(): Promise<{ text: string; events: EventsPart }> {
  const config = loadGatewayConfig({
    ENT_ID: 'ent-example',
    GATEWAY_UAIS: '0000000A',
    GATEWAY_PUBLIC_URL: 'https://gateway.ent.example',
    S3_ENDPOINT: 'http://127.0.0.1:9',
    S3_ACCESS_KEY: 'unused',
    S3_SECRET_KEY: 'unused',
    S3_BUCKET: 'unused',
    OIDC_ISSUER: 'https://idp.example',
    OIDC_CLIENT_ID: 'unused',
    OIDC_CLIENT_SECRET: 'unused',
    CONNECTOR_URL: 'http://127.0.0.1:9',
    CONNECTOR_TOKEN: 'unused-unused-unused',
    SESSION_SECRET: 'unused-unused-unused-unused-unused-unused',
    LOG_LEVEL: 'silent',
  });
  const app = await createGatewayApp(config, { logger: false });
  try {
    const builder = new DocumentBuilder()
      .setTitle('ENT portability — peer contract')
      .setVersion('1')
      .setDescription(`${readFileSync(join(ROOT, 'docs', 'contract', 'peer-contract-intro.md'), 'utf8').trim()}\n\n${peerContractRules()}`)
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Client-credentials access token from the shared IdP (typ at+jwt), audience = the called gateway, one scope per operation.' })
      .build();
    const doc = SwaggerModule.createDocument(app as INestApplication, builder, { operationIdFactory: (c, m) => `${c.replace(/Controller$/, '')}_${m}` });
    refinePeerSchemas(doc as never);
    const eventsPath = doc.paths[CONNECTOR_EVENTS_PATH];
    if (!eventsPath?.post) throw new Error(`the gateway does not serve ${CONNECTOR_EVENTS_PATH}`);
    delete doc.paths[CONNECTOR_EVENTS_PATH];
    const schemas = (doc.components?.schemas ?? {}) as Record<string, Json>;
    const events: EventsPart = {
      operation: JSON.parse(JSON.stringify(eventsPath.post)) as Json,
      schemas: { EntEvent: schemas.EntEvent, EntEventAccepted: schemas.EntEventAccepted },
    };
    for (const name of Object.keys(events.schemas)) delete schemas[name];
    return { text: finish(doc), events };
  } finally {
    await app.close();
  }
}

async function connectorDocument(events: EventsPart): Promise<string> {
  const app = await createEntSimApp(loadEntSimConfig({ ENT_SIM_PROFILE: 'ent-a', ENT_SIM_CONNECTOR_TOKEN: 'unused-unused-unused', ENT_SIM_DATA_DIR: join(ROOT, 'dist', '.openapi-ent-sim') }), { logger: false });
  try {
    const builder = new DocumentBuilder()
      .setTitle('ENT portability — connector contract')
      .setVersion('1')
      .setDescription(readFileSync(join(ROOT, 'docs', 'contract', 'connector-contract-intro.md'), 'utf8'))
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Static secret shared by the ENT and its gateway (CONNECTOR_TOKEN).' })
      .build();
    const doc = SwaggerModule.createDocument(app as INestApplication, builder, { operationIdFactory: (c, m) => `${c.replace(/Controller$/, '')}_${m}` });
    // Only the connector routes are contract; the simulator's own endpoints are not.
    doc.paths = Object.fromEntries(Object.entries(doc.paths).filter(([p]) => p.startsWith('/connector/v1/')));
    const withEvents = doc as unknown as { webhooks?: Record<string, Json>; components: { schemas: Record<string, Json> } };
    // Named by the path the gateway serves them on.
    withEvents.webhooks = { [CONNECTOR_EVENTS_PATH]: { post: events.operation } };
    Object.assign(withEvents.components.schemas, events.schemas);
    return finish(doc);
  } finally {
    await app.close();
  }
}

export async function generate(): Promise<Record<string, string>> {
  const peer = await peerDocument();
  return { 'peer-v1.json': peer.text, 'connector-v1.json': await connectorDocument(peer.events) };
}

async function main() {
  const check = process.argv.includes('--check');
  const dirArg = process.argv.indexOf('--dir');
  const dir = dirArg > 0 ? resolve(process.argv[dirArg + 1]) : join(ROOT, 'docs', 'openapi');
  const docs = await generate();
  if (check) {
    const stale = Object.entries(docs).filter(([name, text]) => !existsSync(join(dir, name)) || readFileSync(join(dir, name), 'utf8') !== text);
    if (stale.length) {
      process.stderr.write(`OpenAPI documents out of date: ${stale.map(([n]) => n).join(', ')}. Run \`npm run openapi\` and commit.\n`);
      process.exit(1);
    }
    process.stdout.write('OpenAPI documents are up to date.\n');
    process.exit(0);
  }
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(docs)) writeFileSync(join(dir, name), text);
  process.stdout.write(`wrote ${Object.keys(docs).map((n) => join(dir, n)).join(', ')}\n`);
  process.exit(0);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(2);
  });
}
