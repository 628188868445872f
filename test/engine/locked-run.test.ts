import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { newRunCredential } from '../../src/auth/run-credential.ts';
import { runScenario } from '../../src/engine/run-scenario.ts';
import { LocalRuntime } from '../../src/runtime/local/local-runtime.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';

const ATTACKER = fileURLToPath(new URL('./fixtures/attacker.ts', import.meta.url));

/**
A run that holds on any machine: two healthy replicas behind a gateway, retries for the odd slow
try, a wire fault so that the fault engine runs, and one expectation the attacker's abort fault
would break at once. The services carry a random prefix: the attacker attacks those only.
*/
function scenario(prefix: string) {
  const text = `
version: 1
name: locked-run
description: A healthy run an attacker on the same machine tries to break.
seed: 3
duration: 6s
services:
  ${prefix}-gateway: { calls: [${prefix}-payments] }
  ${prefix}-payments: { replicas: 2, latency: 2ms }
mesh:
  ${prefix}-payments:
    timeout: 2s
    retries: { attempts: 2, perTryTimeout: 500ms, retryOn: [5xx, reset, connect-failure] }
load: { target: ${prefix}-gateway, rate: 40/s, connections: 20 }
faults:
  - { name: tiny-latency, at: 1s, for: 1s, target: ${prefix}-gateway -> ${prefix}-payments-0, toxic: { type: latency, latency: 1 } }
expect:
  - success_rate(client) >= 95%
`;
  const { scenario, issues } = parseScenario(text, 'locked-run.yaml');
  assert.deepEqual(issues, []);
  return scenario!;
}

interface AttackReport {
  sidecars: { port: number; instance: string; statuses: number[] }[];
  engine: { port: number; proxies: number; statuses: number[] } | null;
  receiver: { port: number; statuses: number[] } | null;
  candidates: string[];
  reason: string;
}

/** Starts the attacker as its own process, with an environment of its own (not the harness's), scoped to this process's children. */
function startAttacker(prefix: string, credential?: string): Promise<AttackReport> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ATTACK_SCOPE_PID: String(process.pid),
    ATTACK_SERVICE_PREFIX: prefix,
    ATTACK_DEADLINE_MS: '60000',
    ...(credential ? { ATTACK_CREDENTIAL: credential } : {}),
  };
  const child = spawn(process.execPath, [ATTACKER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the attacker exited ${code}: ${err}`));
      resolve(JSON.parse(out) as AttackReport);
    });
  });
}

describe('an attacker on the same machine cannot change a run', () => {
  it('pushing an abort fault into every sidecar, disabling the fault proxies and forging spans: all refused (401), and the verdict holds; the same attack with the credential changes it', { timeout: 180_000 }, async () => {
    // The control: an attacker that holds the run's credential. Its attack must work, or the
    // refusals below would prove nothing.
    const controlPrefix = `c${randomBytes(3).toString('hex')}`;
    const controlCredential = newRunCredential();
    const [controlRun, controlAttack] = await Promise.all([
      runScenario(scenario(controlPrefix), { runtime: new LocalRuntime(), credential: controlCredential, warmupMs: 300, tracing: {} }),
      startAttacker(controlPrefix, controlCredential),
    ]);
    assert.equal(controlAttack.reason, '', JSON.stringify(controlAttack));
    assert.equal(controlAttack.sidecars.length, 4, `ingress, gateway, 2 payments: ${JSON.stringify(controlAttack.sidecars)}`);
    for (const s of controlAttack.sidecars) assert.deepEqual(s.statuses, [200], `the control attacker's push into ${s.instance}`);
    assert.ok(controlAttack.engine && controlAttack.engine.proxies > 0 && controlAttack.engine.statuses.every((s) => s === 200), JSON.stringify(controlAttack.engine));
    assert.equal(controlRun.result.passed, false, 'with the credential, the attack changes the verdict');
    assert.equal(controlRun.result.verdicts[0].status, 'failed');

    // The attack proper: no credential, only what the machine shows.
    const prefix = `a${randomBytes(3).toString('hex')}`;
    const credential = newRunCredential();
    const [run, attack] = await Promise.all([
      runScenario(scenario(prefix), { runtime: new LocalRuntime(), credential, warmupMs: 300, tracing: {} }),
      startAttacker(prefix),
    ]);
    assert.equal(attack.reason, '', JSON.stringify(attack));
    // It found every sidecar, the engine and the receiver, and tried each token-shaped string it
    // could read in /proc (command lines and environments of the harness and its children), then none.
    assert.equal(attack.sidecars.length, 4, JSON.stringify(attack.sidecars));
    assert.ok(!attack.candidates.includes(credential), 'the credential is in no command line or environment');
    const tries = attack.candidates.length + 1;
    for (const s of attack.sidecars) {
      assert.equal(s.statuses.length, tries);
      assert.ok(s.statuses.every((status) => status === 401), `${s.instance}: ${s.statuses}`);
    }
    assert.ok(attack.engine && attack.engine.proxies > 0, JSON.stringify(attack.engine));
    assert.ok(attack.engine.statuses.every((s) => s === 401), `engine: ${attack.engine.statuses}`);
    assert.ok(attack.receiver && attack.receiver.statuses.every((s) => s === 401), `receiver: ${JSON.stringify(attack.receiver)}`);

    assert.equal(run.result.error, null);
    assert.equal(run.result.verdicts[0].status, 'held', JSON.stringify(run.result.verdicts[0]));
    assert.equal(run.result.passed, true);
    // No sidecar ever ran the forged config.
    const forged = run.result.events.filter((e) => e.type === 'config-applied' && Number((e.data as { version?: number }).version) >= 1e9);
    assert.deepEqual(forged, []);
  });
});
