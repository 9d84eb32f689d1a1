#!/usr/bin/env node
/**
 * `ent-portability`: inspect and convert the exchange formats from a shell.
 *
 *   ent-portability inspect <file|folder> [--no-xsd] [--schemas <dir>] [--compact]
 *     → JSON report on stdout; exit 0 valid, 1 invalid, 2 unreadable / unknown format
 *   ent-portability convert <file|folder> --to <format> -o <out> [--force]
 *     → JSON (output path, size, SHA-256, losses) on stdout; exit 0 done, 2 failed
 *   ent-portability formats
 *     → the inspectors and conversions available
 *
 * Exit 64 on a usage error. Errors are printed as JSON too
 * (`{"error": {"code", "reason", "message"}}`), with a one-line note on stderr.
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { FormatError } from '../errors';
import { xmllintStatus } from '../commoncartridge/cc-xsd';
import { convertFile, CONVERSIONS, detectAndInspect, INSPECTORS } from '../inspect';
import { registerMetadataFormats } from '../converters/cli-plugins';

export const EXIT = { OK: 0, INVALID: 1, UNREADABLE: 2, USAGE: 64 } as const;

const USAGE = `usage:
  ent-portability inspect <file|folder> [--no-xsd] [--schemas <dir>] [--compact]
  ent-portability convert <file|folder> --to <format> -o <out> [--force]
  ent-portability formats
exit codes: 0 valid / done, 1 invalid, 2 unreadable or failed, 64 usage error`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(args: string[], withValue: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(0, eq) : a;
      if (withValue.includes(name)) {
        const value = eq > 0 ? a.slice(eq + 1) : args[++i];
        if (value === undefined) throw new UsageError(`${name} needs a value`);
        flags.set(name, value);
      } else flags.set(name, true);
    } else positional.push(a);
  }
  return { positional, flags };
}

class UsageError extends Error {}

function errorJson(e: unknown): Record<string, unknown> {
  if (e instanceof FormatError) return { code: e.code, ...(e.reason ? { reason: e.reason } : {}), message: e.message };
  const err = e as NodeJS.ErrnoException;
  return { code: err?.code ?? 'ERROR', message: err?.message ?? String(e) };
}

async function inspect(args: string[], io: Io): Promise<number> {
  const p = parseArgs(args, ['--schemas']);
  for (const f of p.flags.keys()) if (!['--no-xsd', '--schemas', '--compact'].includes(f)) throw new UsageError(`unknown option ${f}`);
  if (p.positional.length !== 1) throw new UsageError('inspect takes exactly one file or folder');
  const file = p.positional[0];
  const indent = p.flags.has('--compact') ? undefined : 2;
  try {
    const report = await detectAndInspect(file, {
      skipXsd: p.flags.has('--no-xsd'),
      cc13SchemaDir: typeof p.flags.get('--schemas') === 'string' ? (p.flags.get('--schemas') as string) : undefined,
    });
    io.out(JSON.stringify(report, null, indent));
    const xsd = (report.validation as { xsd?: { checked?: boolean; reason?: string } }).xsd;
    if (xsd && !xsd.checked && xsd.reason && !p.flags.has('--no-xsd') && !xmllintStatus().ok) {
      io.err(`note: XSD validation not run: ${xsd.reason}`);
    }
    return report.valid ? EXIT.OK : EXIT.INVALID;
  } catch (e) {
    if (!(e instanceof FormatError) && !(e as NodeJS.ErrnoException)?.code) throw e;
    io.out(JSON.stringify({ file, error: errorJson(e) }, null, indent));
    io.err(`unreadable: ${(e as Error).message}`);
    return EXIT.UNREADABLE;
  }
}

async function convert(args: string[], io: Io): Promise<number> {
  const p = parseArgs(args, ['--to', '-o', '--output']);
  for (const f of p.flags.keys()) if (!['--to', '-o', '--output', '--force'].includes(f)) throw new UsageError(`unknown option ${f}`);
  if (p.positional.length !== 1) throw new UsageError('convert takes exactly one input file or folder');
  const to = p.flags.get('--to');
  const out = p.flags.get('-o') ?? p.flags.get('--output');
  if (typeof to !== 'string') throw new UsageError('convert needs --to <format> (see `ent-portability formats`)');
  if (typeof out !== 'string') throw new UsageError('convert needs -o <output file>');
  const input = p.positional[0];
  const outPath = resolve(out);
  try {
    if (resolve(input) === outPath) throw new FormatError('INVALID_INPUT', 'the output would overwrite the input', 'OUTPUT_IS_INPUT');
    const exists = await fs.lstat(outPath).then(() => true, () => false);
    if (exists && !p.flags.has('--force')) throw new FormatError('INVALID_INPUT', `${outPath} exists (use --force to replace it)`, 'OUTPUT_EXISTS');
    // The writers replace the output atomically (temporary file + rename): a failed
    // conversion leaves neither a partial file nor a missing previous one.
    const result = await convertFile(input, to, outPath);
    io.out(JSON.stringify({ input, ...result }, null, 2));
    if (result.losses.length > 0) io.err(`${result.losses.length} loss(es): see "losses"`);
    return EXIT.OK;
  } catch (e) {
    if (!(e instanceof FormatError) && !(e as NodeJS.ErrnoException)?.code) throw e;
    io.out(JSON.stringify({ input, to, error: errorJson(e) }, null, 2));
    io.err(`conversion failed: ${(e as Error).message}`);
    return EXIT.UNREADABLE;
  }
}

function formats(io: Io): number {
  io.out(
    JSON.stringify(
      {
        inspectors: INSPECTORS.map((i) => ({ name: i.name, formats: i.formats })),
        conversions: CONVERSIONS.map((c) => ({ from: c.from, to: c.to, description: c.description })),
        xmllint: xmllintStatus(),
      },
      null,
      2,
    ),
  );
  return EXIT.OK;
}

/** Runs the command; returns the exit code (never calls process.exit). */
export async function run(argv: string[], io: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'inspect':
        return await inspect(rest, io);
      case 'convert':
        return await convert(rest, io);
      case 'formats':
        return formats(io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE);
        return command === undefined ? EXIT.USAGE : EXIT.OK;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n${USAGE}`);
      return EXIT.USAGE;
    }
    io.err(`internal error: ${(e as Error)?.stack ?? String(e)}`);
    return EXIT.UNREADABLE;
  }
}

if (require.main === module) {
  // ScoLOMFR, LHÉO and schema.org inspectors and conversions join the Common Cartridge ones.
  registerMetadataFormats();
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`${String(e)}\n`);
      process.exitCode = EXIT.UNREADABLE;
    },
  );
}
