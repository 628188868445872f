import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { planScenario, type Plan } from '../../../src/plan/plan-scenario.ts';
import { LocalRuntime } from '../../../src/runtime/local/local-runtime.ts';
import type { StartedTopology } from '../../../src/runtime/runtime.ts';
import { parseScenario } from '../../../src/scenario/parse-scenario.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** The Node that runs the tests (24), for programs written in Node: the system's may be older. */
export const NODE = process.execPath;

/** A plan from scenario text, as if the file were in the fixtures folder (cwd resolves there). */
export function planFrom(yaml: string, runId = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`): Plan {
  const r = parseScenario(yaml, join(FIXTURES, 'scenario.yaml'));
  if (!r.scenario) throw new Error(`invalid test scenario:\n${r.issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`).join('\n')}`);
  return planScenario(r.scenario, runId);
}

/** A scenario around some services: the load and expectations are only there to make it valid. */
export function scenarioWith(services: string, target = 'front'): string {
  return `version: 1\nname: t\ndescription: d\nduration: 2s\nservices:\n${services}\nload: { target: ${target}, rate: 10/s }\nexpect: ["success_rate(client) >= 1%"]\n`;
}

/** A temporary folder, removed after the test. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A local runtime with a registry of its own; what it starts is stopped after the test. */
export async function startLocal(plan: Plan, options: { logsDir?: string | null } = {}): Promise<{ topology: StartedTopology; runtime: LocalRuntime; stateDir: string }> {
  const stateDir = tempDir('meshproof-state-');
  const runtime = new LocalRuntime({ stateDir });
  const topology = await runtime.start(plan, { logsDir: options.logsDir ?? null });
  onTestFinished(async () => void (await topology.stop()));
  return { topology, runtime, stateDir };
}

interface Proc {
  pid: number;
  pgid: number;
  state: string;
  env: string[];
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return { pid, state: after[0], pgid: Number(after[2]), env };
  } catch {
    return null;
  }
}

/** Live processes (zombies left out) whose environment has every one of `vars` (`NAME=value`). */
export function processesWith(...vars: string[]): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const p = readProc(Number(entry));
    if (p && p.state !== 'Z' && vars.every((v) => p.env.includes(v))) out.push(p);
  }
  return out;
}

/** The processes of one instance's program: its command and everything it started (they inherit PORT). */
export function programProcesses(runId: string, instance: string, port: number): Proc[] {
  return processesWith(`MESHPROOF_RUN_ID=${runId}`, `MESHPROOF_INSTANCE=${instance}`, `PORT=${port}`);
}

/** Whether a process is stopped (SIGSTOP): state T. */
export function stateOf(pid: number): string | null {
  return readProc(pid)?.state ?? null;
}
