/**
 * ent-sim — a simulated ENT implementing the connector contract v1 over its
 * own disk store, seeded with French demo contents. Configuration: ENT_SIM_*
 * variables (see config.ts and the README); a bad value exits with code 1.
 */
import { exitOnConfigError } from '@ent/common';
import { createEntSimApp } from './app';
import { EntSimConfig, loadEntSimConfig } from './config';
import { PROFILES } from './profiles';

function line(msg: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), app: 'ent-sim', msg, ...extra }) + '\n');
}

async function main(): Promise<void> {
  let config: EntSimConfig;
  try {
    config = loadEntSimConfig(process.env);
  } catch (err) {
    exitOnConfigError(err, 'ent-sim');
  }
  const app = await createEntSimApp(config);
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  const profile = PROFILES[config.profile];
  line(`ent-sim ${config.profile} listening on http://${host}:${port}`, {
    profile: config.profile,
    entId: profile.entId,
    uai: profile.uai,
    dataDir: config.dataDir,
    port,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`ent-sim: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
