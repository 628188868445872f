import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { ConnectionPoolBreaker, type PoolWaiter } from '../../../src/sim/policy/circuit-breaker.ts';

function waiter(log: string[], name: string, onAvailable?: () => void): PoolWaiter {
  return {
    waiting: false,
    onConnectionAvailable() {
      log.push(name);
      onAvailable?.();
    },
  };
}

describe('circuit breakers (Envoy CircuitBreakers.Thresholds over HTTP/1.1)', () => {
  it('Envoy circuit breaking: past max_connections a request waits as pending; past max_pending_requests it overflows (arch overview, circuit breaking)', () => {
    const b = new ConnectionPoolBreaker({ maxConnections: 2, maxPendingRequests: 1, maxRequests: null, maxRetries: null });
    const log: string[] = [];
    const a = waiter(log, 'a');
    assert.equal(b.admit(a), 'connect');
    assert.equal(b.attach(), true);
    assert.equal(b.admit(a), 'connect');
    assert.equal(b.attach(), true);
    const w = waiter(log, 'w', () => assert.equal(b.attach(), true));
    assert.equal(b.admit(w), 'pending');
    assert.equal(b.pending, 1);
    assert.equal(b.admit(waiter(log, 'x')), 'overflow-pending');
    b.release();
    assert.deepEqual(log, ['w'], 'the freed connection goes to the waiter');
    assert.equal(b.pending, 0);
    assert.equal(b.connections, 2);
  });

  it('Envoy circuit breaking: max_requests is checked when a request attaches to a connection (ConnPoolImplBase::attachStreamToClient)', () => {
    const b = new ConnectionPoolBreaker({ maxConnections: null, maxPendingRequests: null, maxRequests: 1, maxRetries: null });
    assert.equal(b.admit(waiter([], 'a')), 'connect');
    assert.equal(b.attach(), true);
    assert.equal(b.admit(waiter([], 'b')), 'connect');
    assert.equal(b.attach(), false, 'max_requests 1: the second in flight overflows');
  });

  it('Envoy circuit breaking: max_requests 0 refuses every request (circuit_breakers_integration_test)', () => {
    const b = new ConnectionPoolBreaker({ maxConnections: null, maxPendingRequests: null, maxRequests: 0, maxRetries: null });
    b.admit(waiter([], 'a'));
    assert.equal(b.attach(), false);
  });

  it('waiters are served in arrival order; a cancelled waiter is skipped and frees its pending slot', () => {
    const b = new ConnectionPoolBreaker({ maxConnections: 1, maxPendingRequests: 3, maxRequests: null, maxRetries: null });
    const log: string[] = [];
    b.admit(waiter(log, 'first'));
    b.attach();
    const take = () => assert.equal(b.attach(), true);
    const w1 = waiter(log, 'w1', take);
    const w2 = waiter(log, 'w2', take);
    const w3 = waiter(log, 'w3', take);
    for (const w of [w1, w2, w3]) assert.equal(b.admit(w), 'pending');
    b.cancel(w2);
    assert.equal(b.pending, 2);
    b.release();
    b.release();
    assert.deepEqual(log, ['w1', 'w3']);
  });

  it('a waiter that gives up its turn (no host, overflow) lets the next one have the connection', () => {
    const b = new ConnectionPoolBreaker({ maxConnections: 1, maxPendingRequests: null, maxRequests: null, maxRetries: null });
    const log: string[] = [];
    b.admit(waiter(log, 'a'));
    b.attach();
    b.admit(waiter(log, 'gives-up'));
    b.admit(waiter(log, 'takes', () => b.attach()));
    b.release();
    assert.deepEqual(log, ['gives-up', 'takes']);
    assert.equal(b.connections, 1);
  });

  it('new arrivals queue behind waiters (no overtaking)', () => {
    const b = new ConnectionPoolBreaker({ maxConnections: 1, maxPendingRequests: null, maxRequests: null, maxRetries: null });
    b.admit(waiter([], 'a'));
    b.attach();
    b.admit(waiter([], 'w'));
    assert.equal(b.admit(waiter([], 'late')), 'pending');
  });

  it('raising max_connections by a config push lets waiters through at once', () => {
    const b = new ConnectionPoolBreaker({ maxConnections: 1, maxPendingRequests: null, maxRequests: null, maxRetries: null });
    const log: string[] = [];
    b.admit(waiter(log, 'a'));
    b.attach();
    b.admit(waiter(log, 'w', () => b.attach()));
    b.configure({ maxConnections: 2, maxPendingRequests: null, maxRequests: null, maxRetries: null });
    assert.deepEqual(log, ['w']);
  });

  it('Envoy circuit breaking: max_retries bounds concurrent retries; null is unlimited (cb.proto)', () => {
    assert.equal(new ConnectionPoolBreaker({ maxConnections: null, maxPendingRequests: null, maxRequests: null, maxRetries: 3 }).retryAllowed(2), true);
    assert.equal(new ConnectionPoolBreaker({ maxConnections: null, maxPendingRequests: null, maxRequests: null, maxRetries: 3 }).retryAllowed(3), false);
    assert.equal(new ConnectionPoolBreaker({ maxConnections: null, maxPendingRequests: null, maxRequests: null, maxRetries: null }).retryAllowed(1e9), true);
  });

  it('reports Envoy-style *_open gauges', () => {
    const b = new ConnectionPoolBreaker({ maxConnections: 1, maxPendingRequests: 0, maxRequests: 5, maxRetries: 0 });
    b.admit(waiter([], 'a'));
    b.attach();
    assert.deepEqual(b.open(0), { cx_open: 1, rq_pending_open: 1, rq_open: 0, rq_retry_open: 1 });
  });
});
