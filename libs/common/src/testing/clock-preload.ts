/*
 * TEST ONLY. Loaded before an app with `node -r dist/libs/common/src/testing/clock-preload.js`
 * by the end-to-end harness, never by production (ADR 011). It opens the control channel of the
 * process's Clock: the parent process (the harness, through the IPC channel it opened when it
 * spawned this process) sends `{ type: 'clock.set', at: ISO-8601 }` and gets back
 * `{ type: 'clock.ack', at, now }`. Domain time then runs on from `at` at the normal pace.
 *
 * No environment variable, port or file can move the clock: without this module and an IPC
 * channel from the parent there is no way in.
 */
import { processClock } from '../clock';

interface ClockSet {
  type: 'clock.set';
  at: string;
  id?: number;
}

if (typeof process.send !== 'function') {
  throw new Error('clock-preload: this process has no IPC channel; the test harness must spawn it with one');
}

process.on('message', (message: unknown) => {
  const m = message as Partial<ClockSet> | null;
  if (!m || m.type !== 'clock.set' || typeof m.at !== 'string') return;
  const target = Date.parse(m.at);
  if (Number.isNaN(target)) {
    process.send!({ type: 'clock.error', id: m.id, error: `not a date: ${m.at}` });
    return;
  }
  // Only ahead of the system time: rows the database stamps with its own now() (an immediate
  // job's run_at, a lease) must never lie in the domain clock's future.
  if (target < Date.now()) {
    process.send!({ type: 'clock.error', id: m.id, error: `the test clock only runs ahead of the system time (asked ${m.at})` });
    return;
  }
  processClock.setOffsetMs(target - Date.now());
  process.send!({ type: 'clock.ack', id: m.id, at: m.at, now: processClock.now().toISOString() });
});
// The channel must not keep a process alive on its own, nor stop it from exiting on SIGTERM.
process.channel?.unref();
