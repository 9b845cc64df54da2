import { DomainError } from '../errors/domain-error';
import type { Logger } from '../observability/logger';

/**
 * Work a request starts but does not wait for, so that its answer cannot depend on what the
 * work finds (requestPasswordReset answers as fast for an unknown email as for a known one).
 * A failure is logged, never answered; shutdown waits for what is still running (drain).
 */
export class Deferred {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  run(what: string, task: () => Promise<unknown>): void {
    // Started once the request's answer is on its way (its own continuations are microtasks of
    // this turn): the work's CPU (building its statements) must not delay that answer either.
    const done: Promise<void> = new Promise((resolve) => setImmediate(resolve))
      .then(task)
      .then(() => undefined)
      // A client's bad input is no fault of ours: a warning, not an error that pages someone.
      .catch((err: unknown) => (err instanceof DomainError ? this.logger.warn({ err }, `${what} refused`) : this.logger.error({ err }, `${what} failed`)))
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  async drain(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
