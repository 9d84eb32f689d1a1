#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ArrivalPlan } from './arrival-plan';
import { ConnectorPlan } from './connector-plan';
import { DeparturePlan } from './departure-plan';
import { EventsSenderPlan, EVENTS_PATH, GatewayEventsPlan } from './events-plan';
import { PlanAborted } from './peer-checks';
import { renderChecklists } from './checklists';
import { KitHttpError } from './http';
import { Idp, IdpError } from './idp';
import { KitServer } from './kit-server';
import { htmlReport, junit, progressLine, summarise, terminalSummary } from './report';
import { Results } from './results';

/** Exit codes (documented in --help and the README). */
export const EXIT = { conformant: 0, notConformant: 1, setup: 2, usage: 64 } as const;

export const HELP = `ent-portability-conformance — checks an ENT portability gateway against the published peer contract v1

Usage:
  ent-portability-conformance arrival --target URL --issuer URL --client-id ID --owner-identity VALUE [options]
  ent-portability-conformance departure --target URL --issuer URL --client-id ID [options]
  ent-portability-conformance connector --target URL --user USER_ID [--token TOKEN]
  ent-portability-conformance events --user USER_ID [--token TOKEN] [--listen HOST:PORT] [--wait SECONDS]
  ent-portability-conformance gateway-events --target URL --user USER_ID [--token TOKEN]
  ent-portability-conformance checklists          print docs/contract/checklists.md (every requirement id)

arrival: the kit plays a complete departure ENT against the target (an arrival gateway): it
serves its own discovery document, JWKS, content URLs and receipt endpoint, sends offers and
signed delivery manifests (valid and hostile), then verifies the signed receipt. Endpoints are
read from the target's discovery document, never guessed.

departure: the kit plays an arrival ENT serving its own UAI (--uai) and waits for the target to
start a transfer to it (by hand in its UI, or --start-command). It answers the offer with an
import, a CONVERT and REFUSED items (offer at least three contents), refuses the first delivery
with 413 destination-full (resume the transfer when the kit says so, or --resume-command),
pulls slowly and with Range, and sends a receipt signed by a key it published late.

connector: tests an ENT's connector (the API it exposes to its own gateway, paths under
/connector/v1): capabilities, a test user's contents, exports (exact sizes, ETag, Range),
errors, and an import made twice with one import key (it must not duplicate). The import
leaves one small content in that user's space.

events: for an ENT vendor, the ENT's side of the connector events (ENT → gateway). The kit
plays the gateway: set the ENT's gateway URL to the kit's (--listen, default
http://127.0.0.1:7480; events go to ${EVENTS_PATH}), then log in as --user at the ENT and create
an account for --user when the kit says so (or give --login-command / --account-command). It
checks each event: the connector secret (--token), the EntEvent schema, a USER_LOGGED_IN at the
login, an ACCOUNT_CREATED (or ACCOUNT_SCHOOLS_CHANGED) with her schools at the account creation,
and the event's date. It answers as a gateway does (401, 400, 200).

gateway-events: a gateway's events endpoint (POST ${EVENTS_PATH} of --target): it must refuse an
event without the connector secret and malformed events, accept valid ones, and start nothing
twice when an event is sent again. Use a test user of the gateway's ENT (--user).

Before a run of arrival or departure, register the kit in the target's peer registry as an ordinary peer:
  client id    the --client-id below (a client of the shared IdP allowed client_credentials
               with the scopes portability:*, and allowed to request tokens for the target's
               audience; the target will request tokens for the kit's public URL)
  discovery    <public URL>/.well-known/ent-portability (base URL <public URL>)
  ENT id, UAI  --ent-id and --uai below
The kit's offers name --owner-identity as their owner: use a test account of the target. The
arrival imports when that person logs into the arrival ENT: when the kit prints "Log in now",
log in as that account (or give --owner-login-command). The kit's offers carry no proof that
the owner asked (ownerProof, ADR 010): a conformant arrival then imports nothing until she
accepts the received contents, so accept them once they are received.

Options:
  --target URL              the target gateway's base URL or discovery URL (required)
  --issuer URL              issuer of the shared IdP (required)
  --client-id ID            the kit's client id at the IdP (required)
  --client-secret SECRET    its secret (or the environment variable CONFORMANCE_CLIENT_SECRET)
  --owner-identity VALUE    value of the identity claim of the test teacher at the target (required)
  --identity-claim NAME     the claim binding teachers across ENTs (default sub)
  --ent-id ID               the kit's ENT id, as registered at the target (default conformance-kit)
  --uai UAI                 the kit's school (UAI), as registered at the target (default 9999999K)
  --arrival-uai UAI         which of the target's UAIs to offer to (default: the first it publishes)
  --listen HOST:PORT        where the kit's own server listens (default 127.0.0.1:7480)
  --public-url URL          the kit's URL as the target reaches it (default http://HOST:PORT)
  --receipt-timeout SECONDS arrival: how long to wait for the receipts (default 1800; the target
                            may retry the deliberately corrupted objects for a while before it
                            reports them FAILED)
  --wait SECONDS            departure: how long to wait for the offer, then for each delivery (default 1800)
  --pause-check SECONDS     departure: how long to watch that a 413 pauses the departure (default 30)
  --slow-pull SECONDS       departure: the pause in the middle of the first object (default 5)
  --start-command CMD       departure: run by the shell to start a transfer to --uai (KIT_UAI is set)
  --resume-command CMD      departure: run by the shell to resume the transfer paused by the 413
  --owner-login-command CMD run by the shell once the deliveries are accepted, to log the owner in
                            (KIT_OWNER_IDENTITY is set in its environment)
  --junit FILE              write a JUnit XML report
  --html FILE               write a self-contained HTML report
  --token TOKEN             connector, events, gateway-events: the connector bearer secret (or CONFORMANCE_CONNECTOR_TOKEN)
  --user USER_ID            connector: a test user holding contents (the identity claim's value);
                            events, gateway-events: the user whose events are sent
  --login-command CMD       events: run by the shell to log --user into the ENT (KIT_USER is set)
  --account-command CMD     events: run by the shell to create the account of --user in the ENT
  --wait SECONDS            events: how long to wait for each event (default 1800)
  -h, --help                this text

Exit codes:
  0   conformant: every MUST the kit checks holds (SHOULDs that fail are warnings)
  1   not conformant: at least one MUST failed or could not be reached
  2   the run could not be carried out (IdP refused the kit, port in use, target unreachable)
  64  usage error
`;

class UsageError extends Error {}

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`--${name} is required`);
  return v;
}

function url(name: string, value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return value.replace(/\/+$/, '');
  } catch {
    throw new UsageError(`--${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
}

/** A usage error is printed with the help text (exit 64); anything else is thrown on. */
function usage(err: unknown, out: (s: string) => void): number {
  if (!(err instanceof UsageError)) throw err;
  out(`${err.message}\n\n${HELP}`);
  return EXIT.usage;
}

function liveResults(plan: ConstructorParameters<typeof Results>[0], out: (s: string) => void): Results {
  const results = new Results(plan);
  results.onObservation((id, o) => out(progressLine(id, o)));
  return results;
}

/** Runs the shell command given as option `name`, if any, with `env` added to the environment. */
function shellCommands(values: Record<string, unknown>, out: (s: string) => void) {
  return (name: string, env: Record<string, string>) => {
    const line = values[name];
    if (typeof line !== 'string' || !line) return;
    const child = spawn('sh', ['-c', line], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
    child.on('exit', (code) => out(`  (--${name} exited with ${code})`));
    child.on('error', (err) => out(`  (--${name} failed: ${err.message})`));
  };
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        target: { type: 'string' }, issuer: { type: 'string' }, 'client-id': { type: 'string' }, 'client-secret': { type: 'string' },
        'owner-identity': { type: 'string' }, 'identity-claim': { type: 'string' }, 'ent-id': { type: 'string' }, uai: { type: 'string' },
        'arrival-uai': { type: 'string' }, listen: { type: 'string' }, 'public-url': { type: 'string' }, 'receipt-timeout': { type: 'string' },
        'owner-login-command': { type: 'string' }, wait: { type: 'string' }, 'pause-check': { type: 'string' }, 'slow-pull': { type: 'string' },
        'start-command': { type: 'string' }, 'resume-command': { type: 'string' }, 'login-command': { type: 'string' }, 'account-command': { type: 'string' }, token: { type: 'string' }, user: { type: 'string' }, junit: { type: 'string' }, html: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    out(`${(err as Error).message}\n\n${HELP}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(HELP);
    return EXIT.conformant;
  }
  const command = positionals[0];
  if (command === 'checklists') {
    out(renderChecklists().trimEnd());
    return EXIT.conformant;
  }
  if (command === 'connector') return connector(values, out);
  if (command === 'events' || command === 'gateway-events') return events(command, values, out);
  if (command !== 'arrival' && command !== 'departure') {
    out(`${command ? `unknown command ${command}` : 'a command is required'}\n\n${HELP}`);
    return EXIT.usage;
  }
  let settings;
  try {
    const listen = /^(.+):(\d{1,5})$/.exec(values.listen ?? '127.0.0.1:7480');
    if (!listen) throw new UsageError('--listen must be HOST:PORT');
    const secret = values['client-secret'] ?? process.env.CONFORMANCE_CLIENT_SECRET;
    if (!secret) throw new UsageError('--client-secret (or CONFORMANCE_CLIENT_SECRET) is required');
    const uai = values.uai ?? '9999999K';
    if (!/^[0-9]{7}[A-Z]$/.test(uai)) throw new UsageError('--uai must be 7 digits and an upper-case letter');
    const seconds = (name: string, fallback: string) => {
      const n = Number((values as Record<string, unknown>)[name] ?? fallback);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number of seconds`);
      return n * 1000;
    };
    settings = {
      target: url('target', required(values, 'target')),
      issuer: url('issuer', required(values, 'issuer')),
      clientId: required(values, 'client-id'),
      secret,
      identity: command === 'arrival' ? required(values, 'owner-identity') : '',
      identityClaim: values['identity-claim'] ?? 'sub',
      entId: values['ent-id'] ?? 'conformance-kit',
      uai,
      host: listen[1].replace(/^\[|\]$/g, ''),
      port: Number(listen[2]),
      publicUrl: values['public-url'] ? url('public-url', values['public-url']) : undefined,
      timeoutMs: seconds('receipt-timeout', '1800'),
      waitMs: seconds('wait', '1800'),
      pauseCheckMs: seconds('pause-check', '30'),
      slowPullMs: seconds('slow-pull', '5'),
    };
  } catch (err) {
    return usage(err, out);
  }

  const startedAt = new Date();
  const results = liveResults(command, out);
  const idp = new Idp({ issuer: settings.issuer, clientId: settings.clientId, clientSecret: settings.secret });
  const runCommand = shellCommands(values, out);
  const departurePlan = command === 'departure' ? new DeparturePlan({
    target: settings.target, idp, entId: settings.entId, uai: settings.uai, waitMs: settings.waitMs, pauseCheckMs: settings.pauseCheckMs, slowPullMs: settings.slowPullMs,
    log: (line) => out(`\n${line}`),
    awaitStart: async () => {
      out(`Start a transfer now from the target ENT to the school ${settings.uai} (the kit), with at least three contents.`);
      runCommand('start-command', { KIT_UAI: settings.uai });
    },
    awaitResume: async () => {
      out('Resume the transfer now in the target ENT (the kit has room again).');
      runCommand('resume-command', { KIT_UAI: settings.uai });
    },
  }, results) : undefined;
  const server = new KitServer({ host: settings.host, port: settings.port, publicUrl: settings.publicUrl, entId: settings.entId, uai: settings.uai, idp, arrival: departurePlan });
  if (departurePlan) departurePlan.server = server;
  let exit: number = EXIT.conformant;
  try {
    await server.start();
    out(`The kit's ${command === 'arrival' ? 'departure' : 'arrival'} answers at ${server.publicUrl} (discovery ${server.publicUrl}/.well-known/ent-portability).`);
    if (departurePlan) await departurePlan.run();
    else await new ArrivalPlan({
      target: settings.target, idp, server, entId: settings.entId, uai: settings.uai,
      owner: { identityClaim: settings.identityClaim, identity: settings.identity },
      arrivalUai: values['arrival-uai'], receiptTimeoutMs: settings.timeoutMs,
      log: (line) => out(`\n${line}`),
      awaitOwner: async () => {
        out(`Log in now as ${settings.identity} at the arrival ENT and accept what it received from the kit (its offers carry no owner proof): the imports start then, and the receipts follow.`);
        runCommand('owner-login-command', { KIT_OWNER_IDENTITY: settings.identity });
      },
    }, results).run();
  } catch (err) {
    if (err instanceof PlanAborted) {
      results.aborted = err.message;
    } else if (err instanceof IdpError || err instanceof KitHttpError || (err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      results.aborted = (err as Error).message;
      exit = EXIT.setup;
    } else {
      throw err;
    }
  } finally {
    await server.stop();
  }
  return report(results, settings.target, startedAt, values, out, exit);
}

async function connector(values: Record<string, unknown>, out: (s: string) => void): Promise<number> {
  let target: string;
  let user: string;
  const token = (values.token as string | undefined) ?? process.env.CONFORMANCE_CONNECTOR_TOKEN;
  try {
    target = url('target', required(values, 'target'));
    user = required(values, 'user');
    if (!token) throw new UsageError('--token (or CONFORMANCE_CONNECTOR_TOKEN) is required');
  } catch (err) {
    return usage(err, out);
  }
  const startedAt = new Date();
  const results = liveResults('connector', out);
  let exit: number = EXIT.conformant;
  try {
    await new ConnectorPlan({ target, token, user, log: (line) => out(`\n${line}`) }, results).run();
  } catch (err) {
    if (!(err instanceof KitHttpError)) throw err;
    results.aborted = err.message;
    exit = EXIT.setup;
  }
  return report(results, target, startedAt, values, out, exit);
}

async function events(command: 'events' | 'gateway-events', values: Record<string, unknown>, out: (s: string) => void): Promise<number> {
  const token = (values.token as string | undefined) ?? process.env.CONFORMANCE_CONNECTOR_TOKEN;
  let target = '';
  let user: string;
  let listen: RegExpExecArray | null = null;
  let waitMs = 0;
  try {
    user = required(values, 'user');
    if (!token) throw new UsageError('--token (or CONFORMANCE_CONNECTOR_TOKEN) is required');
    if (command === 'gateway-events') target = url('target', required(values, 'target'));
    listen = /^(.+):(\d{1,5})$/.exec((values.listen as string | undefined) ?? '127.0.0.1:7480');
    if (!listen) throw new UsageError('--listen must be HOST:PORT');
    waitMs = Number(values.wait ?? '1800') * 1000;
    if (!Number.isInteger(waitMs) || waitMs <= 0) throw new UsageError('--wait must be a whole number of seconds');
  } catch (err) {
    return usage(err, out);
  }
  const startedAt = new Date();
  const results = liveResults(command, out);
  const run = shellCommands(values, out);
  const runCommand = (name: string) => run(name, { KIT_USER: user });
  let exit: number = EXIT.conformant;
  try {
    if (command === 'gateway-events') {
      await new GatewayEventsPlan({ target, token, user, log: (line) => out(`\n${line}`) }, results).run();
    } else {
      const plan: EventsSenderPlan = new EventsSenderPlan({
        host: listen[1].replace(/^\[|\]$/g, ''), port: Number(listen[2]), token, user, waitMs,
        log: (line) => out(`\n${line}`),
        awaitLogin: async () => {
          out(`Log in now as ${user} at the ENT: the kit waits for its USER_LOGGED_IN event at ${plan.url}${EVENTS_PATH}.`);
          runCommand('login-command');
        },
        awaitAccount: async () => {
          out(`Create an account for ${user} now in the ENT (or change her schools): the kit waits for its ACCOUNT_CREATED or ACCOUNT_SCHOOLS_CHANGED event.`);
          runCommand('account-command');
        },
      }, results);
      target = plan.url;
      await plan.run();
      target = plan.url;
    }
  } catch (err) {
    if (!(err instanceof KitHttpError) && (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    results.aborted = (err as Error).message;
    exit = EXIT.setup;
  }
  return report(results, command === 'events' ? `the ENT sending events (kit at ${target})` : target, startedAt, values, out, exit);
}

function report(results: Results, target: string, startedAt: Date, values: Record<string, unknown>, out: (s: string) => void, exit: number): number {
  const summary = summarise(results, target, startedAt);
  out(terminalSummary(summary));
  if (typeof values.junit === 'string') {
    writeFileSync(values.junit, junit(summary));
    out(`JUnit report: ${values.junit}`);
  }
  if (typeof values.html === 'string') {
    writeFileSync(values.html, htmlReport(summary));
    out(`HTML report: ${values.html}`);
  }
  if (exit !== EXIT.conformant) return exit;
  return summary.passed ? EXIT.conformant : EXIT.notConformant;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`ent-portability-conformance: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(EXIT.setup);
    },
  );
}
