import { PasswordGate, passwordGateConcurrency } from '../../src/auth/password-gate';
import { DomainError } from '../../src/errors/domain-error';

/** A piece of work the test ends when it wants; `started` tells whether the gate let it run. */
function job() {
  let finish!: () => void;
  const state = { started: false, done: new Promise<void>((resolve) => (finish = resolve)) };
  return { state, finish: () => finish(), work: async () => ((state.started = true), await state.done) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe('RATE_LIMITED');
  return (err as DomainError).message;
}

describe('PasswordGate', () => {
  it('runs one check per customer at a time, the next ones in turn, and refuses beyond maxPerCustomer', async () => {
    const gate = new PasswordGate({ concurrency: 4, maxWaiting: 10, maxPerCustomer: 3, refusalPauseMs: 0, maxPaused: 0 });
    const jobs = [job(), job(), job()];
    const runs = jobs.map((j) => gate.run('a', j.work));
    await tick();
    expect(jobs.map((j) => j.state.started)).toEqual([true, false, false]);
    expect(await refusal(gate.run('a', async () => undefined))).toMatch(/this account/);
    jobs[0].finish();
    await tick();
    expect(jobs.map((j) => j.state.started)).toEqual([true, true, false]);
    jobs[1].finish();
    jobs[2].finish();
    await Promise.all(runs);
    // Once idle, the customer is forgotten and may start again.
    await expect(gate.run('a', async () => 'again')).resolves.toBe('again');
  });

  it('lets `concurrency` customers run at once, queues the next ones in arrival order, refuses beyond maxWaiting', async () => {
    const gate = new PasswordGate({ concurrency: 2, maxWaiting: 1, maxPerCustomer: 8, refusalPauseMs: 0, maxPaused: 0 });
    const [a, b, c] = [job(), job(), job()];
    const runs = [gate.run('a', a.work), gate.run('b', b.work), gate.run('c', c.work)];
    await tick();
    expect([a.state.started, b.state.started, c.state.started]).toEqual([true, true, false]);
    expect(await refusal(gate.run('d', async () => undefined))).toMatch(/right now/);
    a.finish();
    await tick();
    expect(c.state.started).toBe(true);
    b.finish();
    c.finish();
    await Promise.all(runs);
  });

  it('gives the slot back when a check throws', async () => {
    const gate = new PasswordGate({ concurrency: 1, maxWaiting: 0, maxPerCustomer: 1, refusalPauseMs: 0, maxPaused: 0 });
    await expect(gate.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run('b', async () => 'ok')).resolves.toBe('ok');
    await expect(gate.run('a', async () => 'ok')).resolves.toBe('ok');
  });

  it('holds a refusal for refusalPauseMs, up to maxPaused at once, and answers the rest at once', async () => {
    const gate = new PasswordGate({ concurrency: 1, maxWaiting: 0, maxPerCustomer: 1, refusalPauseMs: 300, maxPaused: 1 });
    const running = job();
    const run = gate.run('a', running.work);
    const settled: string[] = [];
    const started = Date.now();
    const first = refusal(gate.run('a', async () => undefined)).then(() => settled.push('held'));
    const second = refusal(gate.run('a', async () => undefined)).then(() => settled.push('at once'));
    await second;
    expect(settled).toEqual(['at once']);
    await first;
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    running.finish();
    await run;
    // Not a refusal: thrown as it is, at once.
    const failed = Date.now();
    await expect(gate.run('b', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(Date.now() - failed).toBeLessThan(250);
  });

  it('takes half of libuv thread pool, at least one', () => {
    expect(passwordGateConcurrency({})).toBe(2);
    expect(passwordGateConcurrency({ UV_THREADPOOL_SIZE: '1' })).toBe(1);
    expect(passwordGateConcurrency({ UV_THREADPOOL_SIZE: '16' })).toBe(8);
  });
});
