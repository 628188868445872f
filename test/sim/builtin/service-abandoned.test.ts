import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { BuiltinService } from '../../../src/sim/builtin/service.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { serviceSpec } from '../../helpers/scenario.ts';
import { send } from '../helpers/http.ts';
import { closing } from '../helpers/sidecar.ts';

/**
What the built-in service does with a request whose caller gave up while it waited in the queue (a
caller's per-try timeout, for instance). A real worker pool cannot tell and does the work anyway —
the wasted work that turns retries into a retry storm — so that is the default.
*/
async function abandonOne(t: Parameters<typeof closing>[0], skipAbandoned?: boolean) {
  const svc = closing(t, new BuiltinService({ spec: serviceSpec('store', { latency: { kind: 'fixed', ms: 150 }, concurrency: 1, queue: 10 }), instance: 'store-0', sidecar: null, skipAbandoned }));
  const port = await svc.start(0);
  const first = send(port);
  await waitFor(() => (svc.active === 1 ? true : undefined), { timeoutMs: 2000, describe: () => 'the first request holds the only slot' });
  const abandoned = send(port, { timeoutMs: 60 }).then(() => 'answered', () => 'gave up');
  await waitFor(() => (svc.queued === 1 ? true : undefined), { timeoutMs: 2000, describe: () => 'the second request is queued' });
  assert.equal(await abandoned, 'gave up', 'the caller left while its request was queued');
  const third = send(port);
  const [a, c] = await Promise.all([first, third]);
  assert.equal(a.status, 200);
  assert.equal(c.status, 200);
  return { svc, thirdMs: c.ms };
}

describe('built-in service: requests abandoned in the queue', () => {
  it('are worked anyway by default, as a real server does: the slot is spent and the next request waits for it', async (t) => {
    const { svc, thirdMs } = await abandonOne(t);
    assert.equal(svc.answered.get(200), 3, 'three requests were worked, the abandoned one included');
    // first (150ms, ~60ms of it gone when the third arrives) + abandoned (150ms) + its own 150ms
    assert.ok(thirdMs >= 330, `the third waited for the abandoned one's work too (${Math.round(thirdMs)}ms)`);
  });

  it('are dropped when their turn comes with skipAbandoned', async (t) => {
    const { svc } = await abandonOne(t, true);
    assert.equal(svc.answered.get(200), 2, 'the abandoned request was not worked');
  });
});
