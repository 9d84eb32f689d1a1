import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

export interface KitRun {
  exitCode: number | null;
  output: string;
  junit: string;
  html: string;
  /** Requirement ids the JUnit report lists as failed. */
  failed: string[];
  /** Requirement ids the JUnit report lists as passed (no failure, not skipped). */
  passed: string[];
}

/**
 * Runs the compiled `ent-portability-conformance` bin as a vendor would (a child process of
 * plain Node), answering its "Log in now" prompt with `onOwnerPrompt` (e.g. an OIDC login of
 * the owner at the target), and reads back its JUnit and HTML reports.
 */
export async function runKit(
  args: string[],
  onOwnerPrompt?: (() => Promise<void>) | Record<string, () => Promise<void>>,
  timeoutMs = 600_000,
): Promise<KitRun> {
  // Each prompt (a text the kit prints) is answered once, by its handler.
  const prompts = new Map(Object.entries(typeof onOwnerPrompt === 'function' ? { 'Log in now as ': onOwnerPrompt } : onOwnerPrompt ?? {}));
  const dir = mkdtempSync(join(tmpdir(), 'ent-kit-'));
  const junitFile = join(dir, 'report.xml');
  const htmlFile = join(dir, 'report.html');
  const child = spawn(process.execPath, [join(ROOT, 'dist/apps/conformance/src/main.js'), ...args, '--junit', junitFile, '--html', htmlFile], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ownerLogins: Promise<void>[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const [prompt, answer] of prompts) {
      if (!output.includes(prompt)) continue;
      prompts.delete(prompt);
      ownerLogins.push(answer().catch((err: Error) => { output += `\n[test] answer to "${prompt}" failed: ${err.message}\n`; }));
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exitCode = await new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  clearTimeout(timer);
  await Promise.all(ownerLogins);
  let junit = '';
  let html = '';
  try {
    junit = readFileSync(junitFile, 'utf8');
    html = readFileSync(htmlFile, 'utf8');
  } catch {
    // no report: the output says why
  }
  const cases = [...junit.matchAll(/<testcase classname="[^"]*" name="([A-Z]{3}-\d{2}) [^"]*">(.*?)<\/testcase>/gs)];
  return {
    exitCode,
    output,
    junit,
    html,
    failed: cases.filter((c) => c[2].includes('<failure')).map((c) => c[1]),
    passed: cases.filter((c) => !c[2].includes('<failure') && !c[2].includes('<skipped')).map((c) => c[1]),
  };
}
