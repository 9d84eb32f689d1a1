import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { isIP } from 'node:net';

/**
 * The whole local stack as child processes: simulated Guichet Agents,
 * two simulated ENTs and their two gateways. Used by `npm start` (with the
 * embedded S3 and PGlite) and by the end-to-end tests (with the S3 server
 * they are given). Secrets below are DEMO values, printed in the README.
 */
export const DEMO = {
  uaiA: '0750001A',
  uaiB: '0690002B',
  /** What the demo gateways publish of their school (GATEWAY_SCHOOLS), so that teachers read names and towns. */
  schools: {
    a: { uai: '0750001A', name: 'Lycée Victor-Hugo', town: 'Paris' },
    b: { uai: '0690002B', name: 'Lycée Ampère', town: 'Lyon' },
  },
  connectorTokenA: 'demo-connector-token-ent-a',
  connectorTokenB: 'demo-connector-token-ent-b',
  clientA: { id: 'gateway-a', secret: 'gateway-a-secret' },
  clientB: { id: 'gateway-b', secret: 'gateway-b-secret' },
  clientC: { id: 'ent-c', secret: 'ent-c-secret' },
  /** The conformance kit's client (`ent-portability-conformance --client-id`). */
  clientKit: { id: 'conformance-kit', secret: 'conformance-kit-secret' },
  sessionSecretA: 'demo-session-secret-gateway-a-change-me-0001',
  sessionSecretB: 'demo-session-secret-gateway-b-change-me-0002',
} as const;

export const DEFAULT_PORTS = { idp: 4000, gatewayA: 4001, gatewayB: 4002, entA: 4101, entB: 4102, s3: 4568 };
export type StackPorts = typeof DEFAULT_PORTS;

export interface S3Settings {
  endPoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

export interface StackOptions {
  ports: StackPorts;
  s3: S3Settings;
  /** Bucket names get this prefix (tests use a unique one). */
  bucketPrefix?: string;
  dataDir: string;
  /** Postgres URLs per gateway; absent = PGlite under dataDir. */
  databaseUrls?: { a?: string; b?: string };
  /** Where each process's output goes (one file per process); absent = this process's stdout, prefixed. */
  logDir?: string;
  jobPollMs?: number;
  host?: string;
  /** Public URLs when a gateway sits behind a reverse proxy (default: its own address). */
  publicUrls?: { a?: string; b?: string };
  /** Peers registered at both gateways besides each other (e.g. the conformance kit's departure). */
  extraPeers?: { entId: string; clientId: string; discoveryUrl: string; uais: string[] }[];
  /** Audiences the IdP issues tokens for besides the two gateways (e.g. the conformance kit's URL). */
  extraResources?: string[];
  /** Extra environment per process name. */
  env?: Partial<Record<ProcessName, Record<string, string>>>;
  /**
   * Tests only (ADR 011): the gateways run with the test clock preload and an IPC channel, so
   * that `stack.setClock()` moves their domain time. Production never loads that module.
   */
  testClock?: boolean;
  /** How long each process may take to answer before its start is retried once (defaults: READY_TIMEOUT_MS). */
  readyTimeoutMs?: Partial<Record<ProcessName, number>>;
}

export type ProcessName = 'idp-sim' | 'ent-sim-a' | 'ent-sim-b' | 'gateway-a' | 'gateway-b';

export interface ProcessSpec {
  name: ProcessName;
  script: string;
  env: Record<string, string>;
  readyUrl: string;
}

export interface Stack {
  urls: { idp: string; gatewayA: string; gatewayB: string; entA: string; entB: string };
  options: StackOptions;
  processes: Map<ProcessName, ChildProcess>;
  /** Starts (again) a process that was stopped or killed, and waits until it answers. */
  start(name: ProcessName): Promise<void>;
  kill(name: ProcessName, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
  /** With `testClock`: sets both gateways' domain time (it runs on from there); kept across restarts. */
  setClock(at: Date): Promise<void>;
}

const CLOCK_PRELOAD = 'dist/libs/common/src/testing/clock-preload.js';
const CLOCKED: ProcessName[] = ['gateway-a', 'gateway-b'];

// Run from scripts/ (ts, tests) or dist/scripts/ (compiled): the repo root holds package.json.
const ROOT = existsSync(join(__dirname, '..', 'package.json')) ? resolve(__dirname, '..') : resolve(__dirname, '..', '..');

export function stackSpecs(o: StackOptions): ProcessSpec[] {
  const host = o.host ?? '127.0.0.1';
  const url = (port: number) => `http://${host}:${port}`;
  const idp = url(o.ports.idp);
  const gwA = o.publicUrls?.a ?? url(o.ports.gatewayA);
  const gwB = o.publicUrls?.b ?? url(o.ports.gatewayB);
  const prefix = o.bucketPrefix ?? '';
  const clients = [
    { clientId: DEMO.clientA.id, clientSecret: DEMO.clientA.secret, redirectUris: [`${gwA}/auth/callback`], peerScopes: PEER_SCOPE_LIST },
    { clientId: DEMO.clientB.id, clientSecret: DEMO.clientB.secret, redirectUris: [`${gwB}/auth/callback`], peerScopes: PEER_SCOPE_LIST },
    { clientId: DEMO.clientC.id, clientSecret: DEMO.clientC.secret, redirectUris: [], peerScopes: PEER_SCOPE_LIST },
    { clientId: DEMO.clientKit.id, clientSecret: DEMO.clientKit.secret, redirectUris: [], peerScopes: PEER_SCOPE_LIST },
  ];
  const gateway = (side: 'a' | 'b'): Record<string, string> => {
    const self = side === 'a' ? { url: gwA, port: o.ports.gatewayA, uai: DEMO.uaiA, client: DEMO.clientA, ent: url(o.ports.entA), token: DEMO.connectorTokenA, secret: DEMO.sessionSecretA }
      : { url: gwB, port: o.ports.gatewayB, uai: DEMO.uaiB, client: DEMO.clientB, ent: url(o.ports.entB), token: DEMO.connectorTokenB, secret: DEMO.sessionSecretB };
    // The registry holds what discovery cannot say; the rest is read from the peer's discovery document.
    const peer = side === 'a'
      ? { entId: 'ent-b', clientId: DEMO.clientB.id, discoveryUrl: `${gwB}/.well-known/ent-portability`, uais: [DEMO.uaiB] }
      : { entId: 'ent-a', clientId: DEMO.clientA.id, discoveryUrl: `${gwA}/.well-known/ent-portability`, uais: [DEMO.uaiA] };
    const dbUrl = side === 'a' ? o.databaseUrls?.a : o.databaseUrls?.b;
    return {
      GATEWAY_HOST: host,
      GATEWAY_PORT: String(self.port),
      GATEWAY_PUBLIC_URL: self.url,
      ENT_ID: `ent-${side}`,
      GATEWAY_UAIS: self.uai,
      ...(dbUrl ? { DATABASE_URL: dbUrl } : { PGLITE_DIR: join(o.dataDir, `gateway-${side}`, 'pg') }),
      S3_ENDPOINT: o.s3.endPoint,
      S3_ACCESS_KEY: o.s3.accessKey,
      S3_SECRET_KEY: o.s3.secretKey,
      S3_REGION: o.s3.region,
      S3_BUCKET: `${prefix}gateway-${side}`,
      OIDC_ISSUER: idp,
      OIDC_CLIENT_ID: self.client.id,
      OIDC_CLIENT_SECRET: self.client.secret,
      CONNECTOR_URL: self.ent,
      CONNECTOR_TOKEN: self.token,
      PEERS: JSON.stringify([peer, ...(o.extraPeers ?? [])]),
      // Everything of this stack answers on loopback, which the outbound policy refuses unless
      // allowed: exactly 127.0.0.1 (tests put forbidden stand-ins on the rest of 127.0.0.0/8).
      OUTBOUND_ALLOWED_CIDRS: loopbackCidrs(host),
      SESSION_SECRET: self.secret,
      SESSION_COOKIE_NAME: `gateway_${side}.sid`,
      JOB_POLL_MS: String(o.jobPollMs ?? 500),
    };
  };
  return [
    {
      name: 'idp-sim',
      script: 'dist/apps/idp-sim/src/main.js',
      env: { IDP_HOST: host, IDP_PORT: String(o.ports.idp), IDP_ISSUER: idp, IDP_CLIENTS: JSON.stringify(clients), IDP_RESOURCES: JSON.stringify([gwA, gwB, ...(o.extraResources ?? [])]) },
      readyUrl: `${idp}/.well-known/openid-configuration`,
    },
    {
      name: 'ent-sim-a',
      script: 'dist/apps/ent-sim/src/main.js',
      env: { ENT_SIM_HOST: host, ENT_SIM_PORT: String(o.ports.entA), ENT_SIM_PROFILE: 'ent-a', ENT_SIM_CONNECTOR_TOKEN: DEMO.connectorTokenA, ENT_SIM_DATA_DIR: join(o.dataDir, 'ent-a'), ENT_SIM_GATEWAY_URL: url(o.ports.gatewayA) },
      readyUrl: `${url(o.ports.entA)}/health`,
    },
    {
      name: 'ent-sim-b',
      script: 'dist/apps/ent-sim/src/main.js',
      env: { ENT_SIM_HOST: host, ENT_SIM_PORT: String(o.ports.entB), ENT_SIM_PROFILE: 'ent-b', ENT_SIM_CONNECTOR_TOKEN: DEMO.connectorTokenB, ENT_SIM_DATA_DIR: join(o.dataDir, 'ent-b'), ENT_SIM_GATEWAY_URL: url(o.ports.gatewayB) },
      readyUrl: `${url(o.ports.entB)}/health`,
    },
    { name: 'gateway-a', script: 'dist/apps/gateway/src/main.js', env: gateway('a'), readyUrl: `${url(o.ports.gatewayA)}/.well-known/ent-portability` },
    { name: 'gateway-b', script: 'dist/apps/gateway/src/main.js', env: gateway('b'), readyUrl: `${url(o.ports.gatewayB)}/.well-known/ent-portability` },
  ];
}

function loopbackCidrs(host: string): string {
  const cidrs = ['127.0.0.1/32', '::1/128'];
  if (isIP(host) === 4 && host !== '127.0.0.1' && host !== '0.0.0.0') cidrs.push(`${host}/32`);
  return cidrs.join(',');
}

const PEER_SCOPE_LIST = ['portability:capabilities', 'portability:offer', 'portability:deliver', 'portability:fetch', 'portability:receipt'];

/**
 * How long a process may take to answer before it counts as stuck. Generous for the gateways: on
 * a loaded shared machine one (PGlite in WebAssembly) can take a minute to boot. The simulators
 * answer within a second or two, so a quarter of that is already a hang.
 */
const READY_TIMEOUT_MS: Record<ProcessName, number> = { 'idp-sim': 45_000, 'ent-sim-a': 45_000, 'ent-sim-b': 45_000, 'gateway-a': 180_000, 'gateway-b': 180_000 };

/** A child that never answered: its start is retried once (a spawn that failed or hung is not the app's fault). */
class NotReadyError extends Error {}

async function waitReady(url: string, child: ChildProcess, name: string, timeoutMs: number, spawnError: () => Error | undefined): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const failed = spawnError();
    if (failed) throw new NotReadyError(`${name} could not be started (${(failed as NodeJS.ErrnoException).code ?? failed.message})`);
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new NotReadyError(`${name} did not answer ${url} within ${timeoutMs} ms`);
}

/** What the kernel says of a child that does not answer: its state (R, S, D, T…) and where it waits. */
export function describeProcess(pid: number | undefined): string {
  if (pid === undefined) return 'no pid (the spawn failed)';
  const read = (f: string) => {
    try {
      return readFileSync(`/proc/${pid}/${f}`, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const status = read('status');
  if (status === undefined) return `pid ${pid}, gone`;
  const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '?';
  return `pid ${pid}, state ${field('State')}, threads ${field('Threads')}, VmRSS ${field('VmRSS')}, waiting in ${read('wchan') || '?'}`;
}

function lastLines(file: string, n: number): string {
  try {
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    return lines.length ? lines.slice(-n).join('\n') : '(empty)';
  } catch {
    return '(no log)';
  }
}

export async function startStack(options: StackOptions): Promise<Stack> {
  mkdirSync(options.dataDir, { recursive: true });
  if (options.logDir) mkdirSync(options.logDir, { recursive: true });
  const specs = new Map(stackSpecs(options).map((s) => [s.name, s]));
  const processes = new Map<ProcessName, ChildProcess>();
  const logs = new Map<ProcessName, WriteStream>();
  let clockAt: { at: Date; setAt: number } | undefined;
  let clockMessages = 0;

  const sendClock = (name: ProcessName, at: Date) =>
    new Promise<void>((resolveAck, reject) => {
      const child = processes.get(name);
      if (!child?.send || child.exitCode !== null) return resolveAck(); // not running: set again at its start
      const id = ++clockMessages;
      const timer = setTimeout(() => reject(new Error(`${name} did not acknowledge the clock`)), 10_000);
      const onMessage = (m: { type?: string; id?: number; error?: string }) => {
        if (m?.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        if (m.type === 'clock.ack') resolveAck();
        else reject(new Error(`${name} refused the clock: ${m.error}`));
      };
      child.on('message', onMessage);
      child.send({ type: 'clock.set', at: at.toISOString(), id });
    });

  const spawnOne = (name: ProcessName) => {
    const spec = specs.get(name)!;
    const clocked = options.testClock === true && CLOCKED.includes(name);
    const child = spawn(process.execPath, [...(clocked ? ['-r', join(ROOT, CLOCK_PRELOAD)] : []), join(ROOT, spec.script)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: process.env.NODE_ENV ?? 'development', ...spec.env, ...(options.env?.[name] ?? {}) },
      stdio: clocked ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    // A failed spawn (EAGAIN…) is reported here, never as an uncaught 'error' event.
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    processes.set(name, child);
    if (options.logDir) {
      let log = logs.get(name);
      if (!log) {
        log = createWriteStream(join(options.logDir, `${name}.log`), { flags: 'a' });
        logs.set(name, log);
      }
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
    } else {
      const prefix = `[${name}] `;
      const forward = (chunk: Buffer) => process.stdout.write(chunk.toString().split('\n').filter(Boolean).map((l) => prefix + l + '\n').join(''));
      child.stdout?.on('data', forward);
      child.stderr?.on('data', forward);
    }
    return { child, clocked, spawnError: () => spawnError };
  };

  const startOne = async (name: ProcessName) => {
    const spec = specs.get(name)!;
    for (let attempt = 1; ; attempt++) {
      const { child, clocked, spawnError } = spawnOne(name);
      try {
        // A restarted gateway comes back at the stack's domain time, not the system's.
        if (clocked && clockAt) await sendClock(name, new Date(clockAt.at.getTime() + Date.now() - clockAt.setAt));
        await waitReady(spec.readyUrl, child, name, options.readyTimeoutMs?.[name] ?? READY_TIMEOUT_MS[name], spawnError);
        return;
      } catch (err) {
        if (!(err instanceof NotReadyError)) throw err;
        // Say what the kernel saw before killing it: the one trace such a hang leaves.
        const seen = describeProcess(child.pid);
        const tail = options.logDir ? lastLines(join(options.logDir, `${name}.log`), 10) : '(output forwarded above)';
        await kill(name, 'SIGKILL');
        const message = `${err.message}; ${seen}; last lines of its log:\n${tail}`;
        if (attempt >= 2) throw new Error(message);
        process.stderr.write(`local-stack: ${message}\nlocal-stack: starting ${name} again\n`);
      }
    }
  };

  const kill = async (name: ProcessName, signal: NodeJS.Signals = 'SIGTERM') => {
    const child = processes.get(name);
    // No pid: the spawn itself failed, there is nothing to stop.
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const stack: Stack = {
    urls: {
      idp: `http://${options.host ?? '127.0.0.1'}:${options.ports.idp}`,
      gatewayA: `http://${options.host ?? '127.0.0.1'}:${options.ports.gatewayA}`,
      gatewayB: `http://${options.host ?? '127.0.0.1'}:${options.ports.gatewayB}`,
      entA: `http://${options.host ?? '127.0.0.1'}:${options.ports.entA}`,
      entB: `http://${options.host ?? '127.0.0.1'}:${options.ports.entB}`,
    },
    options,
    processes,
    start: startOne,
    kill,
    setClock: async (at: Date) => {
      if (!options.testClock) throw new Error('setClock needs a stack started with testClock: true');
      clockAt = { at, setAt: Date.now() };
      await Promise.all(CLOCKED.map((n) => sendClock(n, at)));
    },
    stop: async () => {
      for (const name of [...processes.keys()].reverse()) await kill(name);
      for (const log of logs.values()) log.end();
    },
  };
  try {
    await startOne('idp-sim');
    await Promise.all([startOne('ent-sim-a'), startOne('ent-sim-b')]);
    await Promise.all([startOne('gateway-a'), startOne('gateway-b')]);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}
