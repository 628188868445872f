import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { outputMode } from './output-mode.ts';
import { startRunOutput } from './run-output.ts';
import { INTERRUPTED_EXIT_CODE, type Interrupts } from './interrupts.ts';
import { appendStepSummary } from './step-summary.ts';
import { runScenario, type RunOutcome } from '../engine/run-scenario.ts';
import { MeshproofError, ScenarioInvalidError } from '../errors.ts';
import { rescaleScenario } from '../plan/plan-scenario.ts';
import { renderMarkdown } from '../report/markdown.ts';
import { LocalRuntime, refuseImages } from '../runtime/local/local-runtime.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { formatDuration, parseDuration } from '../scenario/duration.ts';
import { atMost, LIMITS } from '../scenario/limits.ts';
import { loadScenario } from '../scenario/parse-scenario.ts';
import { runTooLong } from '../scenario/run-size.ts';
import type { Scenario } from '../scenario/scenario.ts';

const HELP = `meshproof — run a service mesh for real, break it on schedule, and check what must hold.

Usage:
  meshproof run <scenario.yaml>... [options]   run scenarios (local processes, or Docker containers)
  meshproof validate <scenario.yaml>...        check scenarios without running anything
  meshproof explain <scenario.yaml> [--duration <d>]
                                               say in plain words what a scenario will do: topology,
                                               effective policies, fault timeline, what each
                                               expectation checks
  meshproof import <files or folders>... [--out scenario.yaml]
                                               Kubernetes manifests (Istio, Gateway API, Linkerd,
                                               Deployments, Services) in, a scenario skeleton out;
                                               what cannot be expressed is warned with its position
  meshproof export istio|gateway-api|linkerd <scenario.yaml> [--out dir]
                                               the scenario's mesh and topology as manifests for
                                               that mesh, validated; what it cannot express is said
  meshproof list [dir]                         the shipped scenarios and what each shows
  meshproof report <run folder>...             re-render a run's reports (report.html, summary.md,
                                               junit.xml) from its result.json
  meshproof toxiproxy [--host H] [--port P] [--seed N]
                                               run meshproof's Toxiproxy-compatible fault engine
                                               as a standalone server (default 127.0.0.1:8474)
  meshproof help                               this text

Options for run:
  --duration <d>      compress the scenario's timeline to <d> (e.g. 4s): load, phases and
                      windows scale; latencies, timeouts and policies do not
  --reports <dir>     where report folders go (default: ./reports)
  --no-report         write no report folder
  --json              print events and the final result as JSON lines on stdout
  --plain             plain progress lines even on a terminal (the default when stdout is not a
                      terminal, or CI is set); on a terminal a live view shows the run: q stops it
  --verbose           also print every instance and sidecar event
  --traces-per-second <n>
                      most requests traced per second (default 500; 0 = every request), after
                      OTEL_TRACES_SAMPLER; spans go to the report's traces.json, and with the
                      run's own spans to your collector when OTEL_TRACES_EXPORTER or
                      OTEL_EXPORTER_OTLP_ENDPOINT says so (OTLP http/protobuf, http/json or grpc)
  --no-traces         trace nothing, export nothing (see docs/traces.md)
  --runtime <r>       local (child processes, the default) or docker (each instance a pod of app
                      + sidecar containers; needs a running Docker engine, see docs/docker.md);
                      overrides the scenario's runtime key

Exit codes: 0 every expectation held · 1 an expectation failed · 2 invalid scenario or the run
could not happen · 130 interrupted (after cleanup).`;

/**
The CLI's commands: the only place that prints a final verdict and decides the exit code (src/cli.ts
exits with it). `interrupts` says when SIGINT or SIGTERM arrived; a command that starts anything
runs it inside `interrupts.whileRunning`, so that a signal tears it down before the exit.
*/
export async function main(argv: string[], interrupts: Interrupts): Promise<number> {
  const [command, ...rest] = argv;
  const out = (s: string) => process.stdout.write(s + '\n');
  const err = (s: string) => process.stderr.write(s + '\n');
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(HELP);
      return command === undefined ? 2 : 0;
    case 'validate':
      return validate(rest, out, err);
    case 'explain':
      return explain(rest, out, err);
    case 'report': {
      const { reportCommand } = await import('./report-command.ts');
      return reportCommand(rest, out, err);
    }
    case 'list':
      return list(rest, out);
    case 'import': {
      const { importCommand } = await import('./import-command.ts');
      return importCommand(rest, out, err);
    }
    case 'export': {
      const { exportCommand } = await import('./export-command.ts');
      return exportCommand(rest, out, err);
    }
    case 'run':
      return run(rest, out, err, color, interrupts);
    case 'toxiproxy': {
      // Loaded only for this command: a run does not pay for the fault engine's server code.
      const { runToxiproxyCommand } = await import('../chaos/toxiproxy/main.ts');
      // A signal is how this server is meant to stop: it closes its proxies and exits 0, as Toxiproxy does.
      return interrupts.whileRunning((signal) => runToxiproxyCommand(rest, { stdout: process.stdout, stderr: process.stderr, signal }));
    }
    default:
      err(`meshproof: unknown command "${command}" (commands: run, validate, explain, import, export, list, report, toxiproxy, help)`);
      return 2;
  }
}

async function loadAll(files: string[], err: (s: string) => void): Promise<Scenario[] | null> {
  if (files.length === 0) {
    err('meshproof: no scenario file given (e.g. meshproof run scenarios/quickstart.yaml)');
    return null;
  }
  const scenarios: Scenario[] = [];
  let ok = true;
  // mesh.from reads Kubernetes manifests with meshproof's importer; the scenario parser is given it here.
  const { readMeshFrom } = await import('../k8s/import/mesh-from-reader.ts');
  for (const f of files) {
    try {
      scenarios.push(await loadScenario(f, { meshFrom: readMeshFrom, onWarning: (w) => err(`warning: ${w.file}:${w.line}:${w.col} ${w.path ? w.path + ': ' : ''}${w.message}`) }));
    } catch (e) {
      if (e instanceof MeshproofError) err(e.message);
      else throw e;
      ok = false;
    }
  }
  return ok ? scenarios : null;
}

async function validate(files: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const scenarios = await loadAll(files, err);
  if (!scenarios) return 2;
  for (const s of scenarios) out(`✔ ${s.source.file}: ${s.name} — ${s.services.length} services, ${s.expect.length} expectations`);
  return 0;
}

/** `meshproof explain`: the scenario in words, with every effective value; invalid → the same errors as validate, exit 2. */
async function explain(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { duration: { type: 'string' } } });
  } catch (e) {
    err(`meshproof explain: ${(e as Error).message}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const durationMs = durationOption('explain', values.duration, err);
  if (durationMs === undefined) return 2;
  const scenarios = rescaled('explain', await loadAll(positionals, err), durationMs, err);
  if (!scenarios) return 2;
  const { explainScenario } = await import('../explain/explain-scenario.ts');
  scenarios.forEach((s, i) => {
    if (i > 0) out('');
    out(explainScenario(s).join('\n'));
  });
  return 0;
}

/**
The scenarios compressed or stretched to `--duration`, which must keep the scenario within its
limits as the file itself must: no longer than a run may last, no more per-second figures than a
run may keep. Null (after saying why) when it does not.
*/
function rescaled(command: string, scenarios: Scenario[] | null, durationMs: number | null, err: (s: string) => void): Scenario[] | null {
  if (!scenarios || !durationMs) return scenarios;
  if (durationMs > LIMITS.duration.max) {
    err(`meshproof ${command}: --duration: found ${formatDuration(durationMs)}; ${atMost(LIMITS.duration)}`);
    return null;
  }
  let ok = true;
  for (const s of scenarios) {
    const tooLong = runTooLong({ services: s.services, loadTarget: s.load.target }, durationMs);
    if (tooLong) err(`meshproof ${command}: --duration: ${s.source.file}: ${tooLong}`);
    ok &&= tooLong === null;
  }
  return ok ? scenarios.map((s) => rescaleScenario(s, durationMs)) : null;
}

/** `--duration` in ms, null when not given; undefined (after saying why) when it is not a duration. */
function durationOption(command: string, value: string | undefined, err: (s: string) => void): number | null | undefined {
  if (!value) return null;
  try {
    return parseDuration(value);
  } catch (e) {
    err(`meshproof ${command}: --duration: ${(e as Error).message}`);
    return undefined;
  }
}

async function list(args: string[], out: (s: string) => void): Promise<number> {
  const dir = args[0] ?? join(import.meta.dirname, '..', '..', 'scenarios');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  const rows: [string, string][] = [];
  for (const f of files) {
    // Read only the two fields shown, so one broken file does not hide the others.
    let description = '';
    try {
      const doc = parseYaml(await readFile(join(dir, f), 'utf8')) as { description?: unknown };
      description = typeof doc?.description === 'string' ? doc.description : '';
    } catch {
      description = '(not valid YAML: run meshproof validate)';
    }
    rows.push([join(dir, f).replace(process.cwd() + '/', ''), description]);
  }
  const w = Math.max(...rows.map((r) => r[0].length), 0);
  for (const [f, d] of rows) out(`${f.padEnd(w)}  ${d}`);
  return 0;
}

async function run(args: string[], out: (s: string) => void, err: (s: string) => void, color: boolean, interrupts: Interrupts): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        duration: { type: 'string' },
        reports: { type: 'string' },
        'no-report': { type: 'boolean' },
        json: { type: 'boolean' },
        plain: { type: 'boolean' },
        verbose: { type: 'boolean' },
        runtime: { type: 'string' },
        'traces-per-second': { type: 'string' },
        'no-traces': { type: 'boolean' },
      },
    });
  } catch (e) {
    err(`meshproof run: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.runtime && values.runtime !== 'local' && values.runtime !== 'docker') {
    err(`meshproof run: --runtime must be local or docker, got "${values.runtime}"`);
    return 2;
  }
  const tps = values['traces-per-second'];
  if (tps !== undefined && !/^\d+$/.test(tps)) {
    err(`meshproof run: --traces-per-second must be a whole number (0 = every request), got "${tps}"`);
    return 2;
  }
  const tracing = values['no-traces'] ? false : tps !== undefined ? { maxTracesPerSecond: Number(tps) } : undefined;
  const durationMs = durationOption('run', values.duration, err);
  if (durationMs === undefined) return 2;
  const scenarios = rescaled('run', await loadAll(positionals, err), durationMs, err);
  if (!scenarios) return 2;

  const reportsDir = values['no-report'] ? null : resolve(values.reports ?? 'reports');
  const mode = outputMode({ json: values.json, plain: values.plain, stdoutIsTTY: Boolean(process.stdout.isTTY), env: process.env });
  return interrupts.whileRunning(async (signal) => {
    let code = 0;
    for (const scenario of scenarios) {
      if (signal.aborted) return interrupted(interrupts, err, 'before the next scenario started');
      const runtime = await runtimeFor((values.runtime as RuntimeName | undefined) ?? scenarioRuntime(scenario), scenario);
      // On a terminal the live view draws the run (q or Ctrl-C aborts it); elsewhere plain lines or JSON.
      const output = await startRunOutput(mode, scenario, { out, color, verbose: values.verbose, onQuit: () => interrupts.stop(), signal });
      let outcome: RunOutcome | null = null;
      try {
        outcome = await runScenario(scenario, { runtime, reportsDir, onEvent: output.onEvent, signal, liveStats: output.liveStats, tracing });
      } finally {
        await output.finish(outcome);
      }
      await appendStepSummary(renderMarkdown(outcome.result), process.env);
      if (outcome.interrupted) {
        return interrupted(
          interrupts,
          err,
          outcome.loadFinished
            ? 'after the load had finished: every request was measured, and the verdicts above stand'
            : 'before the end of its load: what was measured until then is reported, and everything the run started was stopped',
        );
      }
      // A run that broke (a process would not start, the load could not run) is not a verdict on the scenario.
      if (outcome.result.error) code = Math.max(code, 2);
      else if (!outcome.result.passed) code = Math.max(code, 1);
    }
    return code;
  });
}

/** Says what an interrupt stopped, and gives the exit code for it. */
function interrupted(interrupts: Interrupts, err: (s: string) => void, when: string): number {
  err(`meshproof: interrupted${interrupts.received ? ` by ${interrupts.received}` : ''} ${when}`);
  return INTERRUPTED_EXIT_CODE;
}

type RuntimeName = 'local' | 'docker';

/** The scenario's `runtime` key, when the language has it; local otherwise. */
function scenarioRuntime(scenario: Scenario): RuntimeName {
  return scenario.runtime ?? 'local';
}

/**
The runtime a run uses. Docker's is loaded only when asked for (a local run does not pay for
testcontainers), and its engine is checked before anything starts: without one, a
MESHPROOF_RUNTIME_UNAVAILABLE error says what to do, and the CLI exits 2.
*/
async function runtimeFor(name: RuntimeName, scenario: Scenario): Promise<Runtime> {
  if (name === 'local') {
    refuseImages(scenario.services, `${scenario.source.file}: `);
    return new LocalRuntime();
  }
  const { DockerRuntime } = await import('../runtime/docker/docker-runtime.ts');
  const { checkEngine, dockerClient } = await import('../runtime/docker/docker-engine.ts');
  const docker = dockerClient();
  await checkEngine(docker);
  // A cold build takes about a minute: say what is happening rather than sit silent.
  let told = false;
  const onBuildOutput = () => {
    if (!told) process.stderr.write("meshproof: building the Docker runtime image from this machine's Node (once per change of meshproof; about a minute the first time)…\n");
    told = true;
  };
  return new DockerRuntime({ docker, image: { onBuildOutput } });
}

/** What the CLI prints for an error that escaped a command. */
export function describeFailure(e: unknown): string {
  if (e instanceof ScenarioInvalidError || e instanceof MeshproofError) return `meshproof: ${e.message}\n`;
  return `meshproof: internal error: ${(e as Error)?.stack ?? e}\nThis is a bug in meshproof; please report it with the scenario that caused it.\n`;
}
