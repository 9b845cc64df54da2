import { systemActor } from '../../auth/actor';
import type { Logger } from '../../observability/logger';
import type { SegmentService } from './segment.service';

/**
 * Recomputes every active segment every `intervalSeconds`. Every replica runs the timer; an
 * advisory lock lets one of them work per round (the others skip it).
 */
export class SegmentSchedule {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly segments: SegmentService,
    private readonly intervalSeconds: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** One round now (also what the timer calls); answers whether this replica did the work. */
  async runOnce(): Promise<boolean> {
    if (this.running) return false;
    const started = Date.now();
    const run = this.segments.refreshAll(systemActor('segment-schedule'));
    this.running = run;
    try {
      const worked = await run;
      if (worked) this.logger.info({ ms: Date.now() - started }, 'segments refreshed');
      return worked;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'scheduled segment refresh failed; next round retries');
      return false;
    } finally {
      this.running = null;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
