import { exitOnConfigError } from '@ent/common';
import { createGatewayApp } from './app.factory';
import { loadGatewayConfig } from './config';

async function main() {
  let config;
  try {
    config = loadGatewayConfig(process.env);
  } catch (err) {
    exitOnConfigError(err, 'gateway');
  }
  const app = await createGatewayApp(config);
  await app.listen(config.port, config.host);
  process.stdout.write(
    JSON.stringify({ level: 30, time: Date.now(), app: 'gateway', msg: `gateway ${config.entId} listening on ${config.publicUrl}`, entId: config.entId, uais: config.uais }) + '\n',
  );
}

main().catch((err) => exitOnConfigError(err, 'gateway'));
