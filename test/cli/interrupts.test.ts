import assert from 'node:assert/strict';
import { afterEach, describe, expect, test } from 'vitest';
import { EARLY_INTERRUPT_KEY, Interrupts, type InterruptHost, type StopSignal } from '../../src/cli/interrupts.ts';

/** The process at its edge: signal listeners, exit and stderr, recorded. */
class FakeHost implements InterruptHost {
  readonly listeners = new Map<StopSignal, Set<(s: StopSignal) => void>>([['SIGINT', new Set()], ['SIGTERM', new Set()]]);
  exits: number[] = [];
  err = '';
  readonly stderr = { write: (t: string) => (this.err += t) };
  on(event: StopSignal, listener: (s: StopSignal) => void) {
    this.listeners.get(event)!.add(listener);
  }
  off(event: StopSignal, listener: (s: StopSignal) => void) {
    this.listeners.get(event)!.delete(listener);
  }
  exit(code: number) {
    this.exits.push(code);
  }
  send(signal: StopSignal) {
    for (const l of [...this.listeners.get(signal)!]) l(signal);
  }
}

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[EARLY_INTERRUPT_KEY];
});

describe('Interrupts', () => {
  test('with nothing started, a signal exits 130 at once, saying which signal', () => {
    const host = new FakeHost();
    const interrupts = Interrupts.install(host);
    host.send('SIGTERM');
    expect(host.exits).toEqual([130]);
    expect(host.err).toBe('meshproof: interrupted by SIGTERM before anything had started\n');
    expect(interrupts.received).toBe('SIGTERM');
    expect(interrupts.signal.aborted).toBe(true);
  });

  test('while work runs, a signal aborts it instead of exiting; later signals change nothing', async () => {
    const host = new FakeHost();
    const interrupts = Interrupts.install(host);
    let sawAbort = false;
    const result = await interrupts.whileRunning(async (signal) => {
      host.send('SIGINT');
      host.send('SIGTERM');
      sawAbort = signal.aborted;
      return 'cleaned up';
    });
    expect(result).toBe('cleaned up');
    expect(sawAbort).toBe(true);
    expect(host.exits).toEqual([]);
    expect(interrupts.received).toBe('SIGINT');
    // The work is over: one more signal finds nothing running, but the interrupt was already taken.
    host.send('SIGINT');
    expect(host.exits).toEqual([]);
  });

  test('a signal after the work returned (the CLI is exiting) exits 130 at once', async () => {
    const host = new FakeHost();
    await Interrupts.install(host).whileRunning(async () => 0);
    host.send('SIGINT');
    expect(host.exits).toEqual([130]);
  });

  test("install takes over from bin/meshproof.js's early listener, and uninstall lets go", () => {
    const host = new FakeHost();
    const early = () => assert.fail('the early listener must be gone');
    (globalThis as Record<symbol, unknown>)[EARLY_INTERRUPT_KEY] = early;
    host.on('SIGINT', early);
    host.on('SIGTERM', early);
    const interrupts = Interrupts.install(host);
    expect([...host.listeners.get('SIGINT')!]).not.toContain(early);
    expect([...host.listeners.get('SIGTERM')!]).not.toContain(early);
    interrupts.uninstall();
    expect(host.listeners.get('SIGINT')!.size + host.listeners.get('SIGTERM')!.size).toBe(0);
  });

  test('stop() (q in the live view) aborts the work without a signal', async () => {
    const host = new FakeHost();
    const interrupts = Interrupts.install(host);
    await interrupts.whileRunning(async (signal) => {
      interrupts.stop();
      expect(signal.aborted).toBe(true);
    });
    expect(interrupts.received).toBeNull();
    expect(host.exits).toEqual([]);
  });
});
