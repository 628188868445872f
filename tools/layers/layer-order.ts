/**
The layers of src/, bottom first: a folder may import folders of its own layer or below, never
above, and no two folders may import each other (checked by test/tools/layers.test.ts;
docs/architecture.md shows this table, written by `npm run layers`). A folder is a first-level folder
of src/, or a file at its root.
*/
export interface Layer {
  folders: string[];
  /** What the layer is for, in a few words (shown in docs/architecture.md). */
  what: string;
}

export const LAYERS: Layer[] = [
  { folders: ['contract', 'util', 'errors.ts'], what: 'what the parts exchange (sidecar config, mesh events and their words, series keys, the running pod, fault records, every default); how numbers are written; the errors and their codes' },
  { folders: ['scenario', 'process', 'auth', 'security'], what: 'the scenario language (parse, check, normalise); the harness\'s child processes (spawn and ready handshake, the child\'s side, the run registry, reaping); the run\'s credential and the lock on every listener that can change a run; the mesh\'s certificate authority, authorization and handshake failures' },
  { folders: ['plan', 'k8s', 'init'], what: 'what is made from a scenario without running it: the plan; Kubernetes manifests in and out; a starter project' },
  { folders: ['runtime', 'chaos', 'load'], what: 'the effects: pods brought up (local processes, Docker), faults applied on schedule (fault engine, control-plane pushes, signals), load driven' },
  { folders: ['sim'], what: 'the mesh: the sidecar, the built-in service, the control plane' },
  { folders: ['observe', 'trace'], what: 'what the harness reads back: the per-second timeline, the sidecars\' events, traces' },
  { folders: ['verdict'], what: 'expectations decided with evidence' },
  { folders: ['report', 'tui', 'explain', 'events.ts'], what: 'what people read: reports, the live view, `meshproof explain`; the engine\'s events they listen to' },
  { folders: ['engine'], what: 'the effectful runner: up, push, load, collect, decide, report, tear down' },
  { folders: ['api', 'cli'], what: 'the programmatic API (and the output it prints when asked); the commands' },
  { folders: ['cli.ts', 'index.ts'], what: 'the process boundary; the package\'s entry' },
];

/**
Files that may import above their own layer: the main modules of processes (and containers) that
the harness starts, each of which puts parts together the way the engine does for the harness.
Every other upward import fails the check, and so does an entry here that no longer needs to be.
A computed `import(expr)` is allowed only here (the check cannot see what it loads).
*/
export const ENTRY_POINTS: { file: string; why: string }[] = [
  { file: 'sim/sidecar/main.ts', why: 'a sidecar process: gives the sidecar its recorder (observe) and the span sink its environment asks for (trace)' },
  { file: 'sim/host/main.ts', why: 'a pod host process: its sidecars\' recorders (observe) and span sinks (trace), as a sidecar process gives them' },
  { file: 'runtime/docker/entry/sidecar.ts', why: 'the sidecar container: the sidecar (sim), its recorder (observe) and span sink (trace)' },
  { file: 'runtime/docker/entry/warm-compile-cache.ts', why: 'run while the runtime image is built: loads, by path, every module the containers run, into the compile cache' },
  { file: 'sim/ratelimit/main.ts', why: 'the rate-limit service\'s process (and container): gives the service its recorder (observe)' },
  { file: 'load/load-process.ts', why: 'the load generator\'s own process: records into a series recorder (observe) the harness folds' },
];
