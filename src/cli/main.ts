import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_REPORTS_DIR, MAX_REPEAT, runScenarios, type RunSummary } from '../api/run.ts';
import { validate as validateFiles } from '../api/validate.ts';
import { outputMode } from './output-mode.ts';
import { INTERRUPTED_EXIT_CODE, type Interrupts } from './interrupts.ts';
import { MeshproofError, ScenarioInvalidError } from '../errors.ts';
import { rescaleScenario } from '../plan/plan-scenario.ts';
import { parseDuration } from '../scenario/duration.ts';
import { rescaleProblems } from '../scenario/run-size.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { codeLayout } from '../util/code-layout.ts';

const HELP = `meshproof — run a service mesh for real, break it on schedule, and check what must hold.

Usage:
  meshproof run <scenario.yaml|folder>... [options]
                                               run scenarios (local processes, or Docker
                                               containers); a folder runs every *.yaml in it
  meshproof prove <scenario.yaml> [options]    run the scenario, then once without each policy it
                                               declares (the profile's default instead), then
                                               without all: a matrix policy × expectation says
                                               which policy each expectation depends on
  meshproof validate <scenario.yaml|folder>... check scenarios without running anything
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
  meshproof list [dir]                         the scenarios shipped with meshproof (examples to run
                                               or copy), or those in dir, and what each shows
  meshproof init [dir] [--force]               start using meshproof in a project: a commented
                                               starter scenario (scenarios/starter.yaml) and a
                                               GitHub Actions workflow; never overwrites a file
                                               unless --force
  meshproof report <run folder>...             re-render a run's reports (report.html, summary.md,
                                               junit.xml) from its result.json
  meshproof toxiproxy [--host H] [--port P] [--seed N]
                                               run meshproof's Toxiproxy-compatible fault engine
                                               as a standalone server (default 127.0.0.1:8474)
  meshproof help                               this text

Options for run (and prove, except --repeat):
  --repeat <n>        run each scenario n times, one after another, and report how stable each
                      verdict was and the spread of each measured value (min, median, max; p10
                      and p90 from 10); each repeat's run folder goes under a repeat folder;
                      the exit code is the worst any repeat gave
  --duration <d>      compress the scenario's timeline to <d> (e.g. 4s): load, phases and
                      windows scale; latencies, timeouts and policies do not
  --out <dir>         where report folders go (default: ./reports); --reports is the same
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
  --host-pods         local runtime, large topologies: run the pods no process fault targets many
                      to a host process (one per core) instead of two processes each; much less
                      memory and start-up time, but hosted pods share an event loop (see
                      docs/architecture.md, "Pod hosting")
  --strict            an inconclusive verdict fails the run (exit 1 instead of 3)

Exit codes: 0 every expectation held · 1 an expectation failed · 2 invalid scenario or the run
could not happen · 3 inconclusive: none failed, but the harness broke a promise a verdict depends
on (a fault applied late, a starved event loop or CPU, a load that fell behind; the summary says
which, with the numbers) · 130 interrupted (after cleanup).
prove exits as its baseline run does, 2 when a run could not happen, 3 when a verdict was
inconclusive (docs/repeat-and-prove.md).`;

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
      return list(rest, out, err);
    case 'init': {
      const { initCommand } = await import('./init-command.ts');
      return initCommand(rest, out, err);
    }
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
    case 'prove':
      return run(rest, out, err, color, interrupts, 'prove');
    case 'toxiproxy': {
      // Loaded only for this command: a run does not pay for the fault engine's server code.
      const { runToxiproxyCommand } = await import('../chaos/toxiproxy/main.ts');
      // A signal is how this server is meant to stop: it closes its proxies and exits 0, as Toxiproxy does.
      return interrupts.whileRunning((signal) => runToxiproxyCommand(rest, { stdout: process.stdout, stderr: process.stderr, signal }));
    }
    default:
      err(`meshproof: unknown command "${command}" (commands: run, prove, validate, explain, import, export, list, init, report, toxiproxy, help)`);
      return 2;
  }
}

/** Every file's scenario, or null after printing every problem of every file (and the warnings). */
async function loadAll(files: string[], err: (s: string) => void): Promise<Scenario[] | null> {
  const checked = await validateFiles(files);
  for (const w of checked.warnings) err(`warning: ${w.file}:${w.line}:${w.col} ${w.path ? w.path + ': ' : ''}${w.message}`);
  for (const p of checked.problems) err(p.code === 'MESHPROOF_USAGE' ? `meshproof: ${p.message}` : p.message);
  return checked.valid ? checked.scenarios.map((s) => s.scenario) : null;
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
  const problems = rescaleProblems(scenarios, durationMs);
  for (const p of problems) err(`meshproof ${command}: --duration: ${p}`);
  return problems.length === 0 ? scenarios.map((s) => rescaleScenario(s, durationMs)) : null;
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

/**
`meshproof list [dir]`: each scenario of a folder with its description. Without a folder, the
scenarios shipped with meshproof: in a clone its scenarios/; once installed, the package's copy,
shown with paths that run as they are (node_modules/meshproof/scenarios/…) — examples to run or
to copy into the project.
*/
async function list(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const shipped = join(codeLayout.root, 'scenarios');
  const dir = args[0] ?? shipped;
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  } catch (e) {
    err(`meshproof list: cannot read the folder ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (e as Error).message}`);
    return 2;
  }
  const rows: [string, string][] = [];
  for (const f of names) {
    // Read only the two fields shown, so one broken file does not hide the others.
    let description = '';
    try {
      const doc = parseYaml(await readFile(join(dir, f), 'utf8')) as { description?: unknown };
      description = typeof doc?.description === 'string' ? doc.description : '';
    } catch {
      description = '(not valid YAML: run meshproof validate)';
    }
    rows.push([shownPath(join(dir, f)), description]);
  }
  const w = Math.max(...rows.map((r) => r[0].length), 0);
  for (const [f, d] of rows) out(`${f.padEnd(w)}  ${d}`);
  if (dir === shipped && codeLayout.compiled) err(`(meshproof's example scenarios: run one as it is, or copy it into your project; meshproof list <folder> lists yours)`);
  return 0;
}

/** A path relative to the working folder when it is inside it, else as it is. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..' + sep) || rel === '..' || rel.startsWith(sep) ? path : rel;
}

/** `meshproof run` and `meshproof prove`: the same options (but --repeat, run's alone), one scenario for prove. */
async function run(args: string[], out: (s: string) => void, err: (s: string) => void, color: boolean, interrupts: Interrupts, command: 'run' | 'prove' = 'run'): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        duration: { type: 'string' },
        out: { type: 'string' },
        reports: { type: 'string' },
        'no-report': { type: 'boolean' },
        json: { type: 'boolean' },
        plain: { type: 'boolean' },
        verbose: { type: 'boolean' },
        runtime: { type: 'string' },
        'host-pods': { type: 'boolean' },
        'traces-per-second': { type: 'string' },
        'no-traces': { type: 'boolean' },
        ...(command === 'run' ? { repeat: { type: 'string' } } : {}),
        strict: { type: 'boolean' },
      },
    });
  } catch (e) {
    err(`meshproof ${command}: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.runtime && values.runtime !== 'local' && values.runtime !== 'docker') {
    err(`meshproof ${command}: --runtime must be local or docker, got "${values.runtime}"`);
    return 2;
  }
  if (values.out !== undefined && values.reports !== undefined && values.out !== values.reports) {
    err(`meshproof ${command}: --out and --reports name the same thing; give one (got "${values.out}" and "${values.reports}")`);
    return 2;
  }
  const tps = values['traces-per-second'];
  if (tps !== undefined && !/^\d+$/.test(tps)) {
    err(`meshproof ${command}: --traces-per-second must be a whole number (0 = every request), got "${tps}"`);
    return 2;
  }
  const repeatValue = (values as { repeat?: string }).repeat;
  if (repeatValue !== undefined && !(/^\d+$/.test(repeatValue) && Number(repeatValue) >= 1 && Number(repeatValue) <= MAX_REPEAT)) {
    err(`meshproof run: --repeat must be a whole number from 1 to ${MAX_REPEAT}, got "${repeatValue}"`);
    return 2;
  }
  if (command === 'prove' && positionals.length !== 1) {
    err(`meshproof prove: give one scenario file (got ${positionals.length === 0 ? 'none' : positionals.length}), e.g. meshproof prove scenarios/quickstart.yaml`);
    return 2;
  }
  const durationMs = durationOption(command, values.duration, err);
  if (durationMs === undefined) return 2;
  const scenarios = rescaled(command, await loadAll(positionals, err), durationMs, err);
  if (!scenarios) return 2;
  if (command === 'prove' && scenarios.length !== 1) {
    err(`meshproof prove: give one scenario file; ${positionals[0]} holds ${scenarios.length}`);
    return 2;
  }

  const mode = outputMode({ json: values.json, plain: values.plain, stdoutIsTTY: Boolean(process.stdout.isTTY), env: process.env });
  const reports = values['no-report'] ? null : (values.out ?? values.reports ?? DEFAULT_REPORTS_DIR);
  const traces = values['no-traces'] ? false : tps !== undefined ? { maxTracesPerSecond: Number(tps) } : undefined;
  if (command === 'prove') {
    const { proveScenario } = await import('../api/prove.ts');
    // Already compressed to --duration above. A line per run and the matrix: the live view draws one run, not a proof.
    const proof = await interrupts.whileRunning((signal) =>
      proveScenario(scenarios[0], {
        reports,
        runtime: values.runtime as 'local' | 'docker' | undefined,
        hostPods: values['host-pods'],
        traces,
        signal,
        output: { stream: process.stdout, format: mode === 'json' ? 'json' : 'plain', color },
        onNotice: (message) => err(`meshproof: ${message}`),
        stepSummary: true,
        strict: values.strict,
      }),
    );
    if (proof.exitCode === INTERRUPTED_EXIT_CODE) err(`meshproof: interrupted${interrupts.received ? ` by ${interrupts.received}` : ''}: the matrix above covers the runs made`);
    return proof.exitCode;
  }
  const repeat = repeatValue === undefined ? undefined : Number(repeatValue);
  // From here on a signal aborts the run (which tears down what it started) instead of exiting.
  const summary = await interrupts.whileRunning((signal) =>
    // Already compressed to --duration (above, where every problem of every file is printed).
    runScenarios(scenarios, {
      reports,
      runtime: values.runtime as 'local' | 'docker' | undefined,
      hostPods: values['host-pods'],
      traces,
      repeat,
      signal,
      // On a terminal the live view draws the run (q or Ctrl-C aborts it); elsewhere plain lines or JSON.
      // Repeats print a line each and the stability table, never the live view.
      output: { stream: process.stdout, format: repeat && repeat > 1 && mode === 'live' ? 'plain' : mode, color, verbose: values.verbose },
      onNotice: (message) => err(`meshproof: ${message}`),
      stepSummary: true,
      strict: values.strict,
    }),
  );
  if (summary.exitCode === INTERRUPTED_EXIT_CODE) err(`meshproof: interrupted${interrupts.received ? ` by ${interrupts.received}` : ''} ${interruptedWhen(summary)}`);
  return summary.exitCode;
}

/** What an interrupt stopped, for the line the CLI prints after the summary. */
function interruptedWhen(summary: RunSummary): string {
  const last = summary.runs.at(-1);
  if (last?.outcome !== 'interrupted') return 'before the next scenario started';
  return last.loadFinished
    ? 'after the load had finished: every request was measured, and the verdicts above stand'
    : 'before the end of its load: what was measured until then is reported, and everything the run started was stopped';
}

/** What the CLI prints for an error that escaped a command. */
export function describeFailure(e: unknown): string {
  if (e instanceof ScenarioInvalidError || e instanceof MeshproofError) return `meshproof: ${e.message}\n`;
  return `meshproof: internal error: ${(e as Error)?.stack ?? e}\nThis is a bug in meshproof; please report it with the scenario that caused it.\n`;
}
