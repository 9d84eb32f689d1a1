/* `npm start`: the whole local stack on loopback, with embedded defaults (PGlite, s3rver). */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_PORTS, DEMO, startStack } from './local-stack';

// s3rver has no types of its own.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const S3rver = require('s3rver');

async function main() {
  const root = resolve(__dirname, '..', '..');
  const dataDir = process.env.STACK_DATA_DIR ?? join(root, '.data');
  const ports = { ...DEFAULT_PORTS };
  let s3;
  let embeddedS3: { close(): Promise<void> } | undefined;
  if (process.env.S3_ENDPOINT) {
    s3 = { endPoint: process.env.S3_ENDPOINT, accessKey: process.env.S3_ACCESS_KEY ?? '', secretKey: process.env.S3_SECRET_KEY ?? '', region: process.env.S3_REGION ?? 'us-east-1' };
  } else {
    mkdirSync(join(dataDir, 's3'), { recursive: true });
    // Embedded default for the demo only: s3rver checks no signature (tests use a real S3 server).
    const server = new S3rver({ port: ports.s3, address: '127.0.0.1', silent: true, directory: join(dataDir, 's3'), resetOnClose: false });
    await server.run();
    embeddedS3 = server;
    s3 = { endPoint: `http://127.0.0.1:${ports.s3}`, accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1' };
  }
  // The conformance kit's default address is a registered peer of both gateways, so that
  // `npx ent-portability-conformance` can be tried against this stack as it is (README).
  const kitUrl = 'http://127.0.0.1:7480';
  const stack = await startStack({
    ports, s3, dataDir,
    extraPeers: [{ entId: 'conformance-kit', clientId: DEMO.clientKit.id, discoveryUrl: `${kitUrl}/.well-known/ent-portability`, uais: ['9999999K'] }],
    extraResources: [kitUrl],
    // Teachers read school names and towns, found by name in « Choix des contenus » (issue 16).
    env: { 'gateway-a': { GATEWAY_SCHOOLS: JSON.stringify([DEMO.schools.a]) }, 'gateway-b': { GATEWAY_SCHOOLS: JSON.stringify([DEMO.schools.b]) } },
  });
  const lines = [
    '',
    'ENT portability — local stack is up',
    `  Guichet Agents (simulated IdP)  ${stack.urls.idp}`,
    `  Gateway A (ENT A, UAI ${DEMO.uaiA})   ${stack.urls.gatewayA}    <- log in as marie.dupont / demo-marie`,
    `  Gateway B (ENT B, UAI ${DEMO.uaiB})   ${stack.urls.gatewayB}`,
    `  ENT A connector (simulated)     ${stack.urls.entA}`,
    `  ENT B connector (simulated)     ${stack.urls.entB}`,
    `  S3                              ${s3.endPoint}${embeddedS3 ? ' (embedded s3rver)' : ''}`,
    `  Data                            ${dataDir}`,
    'Press Ctrl+C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  const shutdown = async () => {
    await stack.stop();
    await embeddedS3?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((err) => {
  process.stderr.write(`stack: ${err.stack ?? err}\n`);
  process.exit(1);
});
