import { describe, it, vi } from 'vitest';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startRunTelemetry } from '../../src/engine/run-telemetry.ts';

const INFO = { runId: 'r1', scenario: 'demo', file: 'demo.yaml', seed: 1, runtime: 'local', version: '0.0.0' };

/** Whether a package's entry module has been loaded in this process (the SDK's packages are CommonJS). */
function loaded(pkg: string): boolean {
  const cache = createRequire(import.meta.url).cache;
  return Object.keys(cache).some((k) => k.includes(`/node_modules/${pkg}/`));
}

describe('the run\'s telemetry is loaded only when something is configured to receive', () => {
  it('no exporter, or the SDK disabled: nothing of the SDK is loaded; an exporter: it is', async (t) => {
    // The engine and this module import the SDK's packages lazily: at this point none is loaded.
    assert.equal(loaded('@opentelemetry/sdk-node'), false);
    assert.equal(await startRunTelemetry({ disabled: false, exporters: [], sampler: { name: 'always_off', ratio: 0 } }, INFO), null);
    assert.equal(await startRunTelemetry({ disabled: true, exporters: [], sampler: null }, INFO), null);
    assert.equal(loaded('@opentelemetry/sdk-node'), false);
    assert.equal(loaded('@opentelemetry/sdk-trace'), false);

    const spy = vi.spyOn(console, 'dir').mockImplementation(() => {});
    t.onTestFinished(() => spy.mockRestore());
    const telemetry = await startRunTelemetry({ disabled: false, exporters: [{ kind: 'console' }], sampler: null }, INFO);
    assert.ok(telemetry);
    assert.equal(loaded('@opentelemetry/sdk-node'), true, 'the check above can see a loaded SDK');
    await telemetry.finish({ passed: true, error: null });
    assert.deepEqual(spy.mock.calls.map(([span]) => (span as { name: string }).name), ['topology start', 'meshproof run demo']);
  });
});
