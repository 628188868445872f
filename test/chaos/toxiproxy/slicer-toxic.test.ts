import assert from 'node:assert/strict';
import { test } from 'vitest';
import { seededRandom } from '../../../src/util/random.ts';
import { sliceOffsets } from '../../../src/chaos/toxiproxy/toxics/slicer-toxic.ts';
import { open, portOf, startEngine, tcpServer, until } from '../helpers.ts';

function sizes(offsets: number[]): number[] {
  return offsets.slice(1).map((o, i) => o - offsets[i]);
}

test('slice offsets cover the chunk exactly, each slice at most average + variation and at least one byte', () => {
  for (const [size, average, variation] of [
    [1000, 100, 20],
    [65536, 1500, 300],
    [7, 3, 1],
    [100, 1, 0],
    [50, 10, 40], // variation larger than the average: Toxiproxy panics; here it is clamped
    [10, 0, 0],
  ]) {
    const offsets = sliceOffsets(size, average, variation, seededRandom(7));
    assert.equal(offsets[0], 0);
    assert.equal(offsets.at(-1), size);
    for (const s of sizes(offsets)) {
      assert.ok(s >= 1, `${size}/${average}±${variation}: empty slice`);
      assert.ok(s <= Math.max(1, average) + variation, `${size}/${average}±${variation}: slice of ${s}`);
    }
  }
  assert.deepEqual(sliceOffsets(0, 10, 2, seededRandom(1)), [0, 0]);
});

test('slice sizes vary with the draws and repeat exactly for the same seed', () => {
  const a = sizes(sliceOffsets(10_000, 100, 40, seededRandom(42)));
  const b = sizes(sliceOffsets(10_000, 100, 40, seededRandom(42)));
  const c = sizes(sliceOffsets(10_000, 100, 40, seededRandom(43)));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(new Set(a).size > 5, 'sizes vary');
});

test('slicer splits data into delayed slices, each its own write, without changing a byte', async () => {
  const payload = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  const sender = await tcpServer((s) => s.write(payload));
  const { client } = await startEngine();
  const proxy = await client.createProxy({ name: 'slicer', listen: '127.0.0.1:0', upstream: sender.address });
  // 1000 bytes split near the middle until a piece is within 100 + 20 bytes: 8 to 16 slices, 10 ms apart.
  await proxy.addToxic({ name: 'chop', type: 'slicer', stream: 'downstream', toxicity: 1, attributes: { average_size: 100, size_variation: 20, delay: 10_000 } });
  const { got, connectedAt } = await open(portOf(proxy.listen));
  await until(() => got.bytes >= payload.length, 3000, 'all bytes arrive');
  assert.deepEqual(Buffer.concat(got.chunks), payload);
  assert.ok(got.chunks.length >= 4, `arrived in ${got.chunks.length} reads`);
  assert.ok(Math.min(...got.chunks.map((c) => c.length)) <= 120, 'slices are about average_size');
  // Each read is at least one slice, and slices are 10 ms apart.
  const took = got.times.at(-1)! - connectedAt;
  assert.ok(took >= (got.chunks.length - 1) * 10 - 5, `${got.chunks.length} reads arrived within ${took.toFixed(0)}ms`);
  assert.ok(got.chunks.length <= 16, 'never more pieces than slices');
});
