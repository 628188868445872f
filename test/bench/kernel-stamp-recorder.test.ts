import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { test } from 'vitest';
import { startKernelStampRecorder } from '../../bench/arrival-recorder.ts';
import { monotonicMs } from '../../src/load/pacer.ts';

function get(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the kernel-stamp recorder answers each request and stamps it on the load\'s clock, in order', async () => {
  const server = await startKernelStampRecorder();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const sent: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      sent.push(monotonicMs());
      assert.equal(await get(server.url, agent), 200);
    }
  } finally {
    agent.destroy();
    await server.close();
  }
  assert.equal(server.arrivals.length, 5, 'one stamp per request, over one keep-alive connection');
  for (let i = 0; i < 5; i++) {
    // The stamp falls after the request was sent and before the next one was: the same monotonic clock.
    assert.ok(server.arrivals[i] >= sent[i] - 1, `request ${i} stamped ${server.arrivals[i] - sent[i]} ms after it was sent`);
    if (i < 4) assert.ok(server.arrivals[i] <= sent[i + 1] + 1, `request ${i} stamped before request ${i + 1} was sent`);
  }
});
