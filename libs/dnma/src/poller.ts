import type { DnmaLogger } from './runtime-types';

/**
 * The start/stop/wake loop shared by the DNMA workers: run a pass, and run the next one at
 * once when the pass says there is more, after `intervalMs` otherwise. A failing pass is
 * logged and retried at the next interval; stop() waits for the pass under way.
 */
export class Poller {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private wakeRequested = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<boolean>,
    private readonly logger: DnmaLogger,
  ) {}

  get running(): boolean {
    return !this.stopped;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.interrupt();
    await this.loop;
    this.loop = undefined;
  }

  /** Runs the next pass now instead of at the end of the interval. */
  wake(): void {
    this.wakeRequested = true;
    this.interrupt();
  }

  private interrupt() {
    if (this.sleeper) {
      clearTimeout(this.sleeper.timer);
      this.sleeper.resolve();
      this.sleeper = undefined;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.wakeRequested = false;
      let more = false;
      try {
        more = await this.pass();
      } catch (err) {
        this.logger.error({ worker: this.name, err: (err as Error)?.message ?? String(err) }, 'DNMA worker pass failed');
      }
      if (this.stopped) break;
      if (more || this.wakeRequested) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.intervalMs);
        timer.unref?.();
        this.sleeper = { timer, resolve };
      });
      this.sleeper = undefined;
    }
  }
}
