/**
The supervisor of a user's program (`command:`), spawned by the local runtime as the instance's app
process (one per instance). Environment: `MESHPROOF_PROGRAM`, the ProgramSpec as JSON.

Why a process between the harness and the program: the program cannot be asked to notice that the
harness died, and it may start children of its own. The supervisor holds the harness's IPC channel
like every meshproof child; when the channel closes (the harness was killed, even by SIGKILL), on
SIGTERM and on SIGINT, it stops the program's whole process group (SIGTERM, then SIGKILL) and exits.
The harness signals the group directly for process faults (SIGKILL, SIGSTOP, SIGCONT), so a paused
program still has a supervisor awake to clean up after it.

IPC messages: `{type: 'ready', role: 'app', port, pid}` once the program is ready (pid = its process
group); `{type: 'failed', why, output}` when it exits or times out first; `{type: 'exited', code,
signal, output}` when it exits later. The supervisor exits after either of the last two.
*/
import type { ChildMessage } from '../../contract/child-message.ts';
import { requireEnv, runChild } from '../../process/child-lifecycle.ts';
import { ProgramFailure, SupervisedProgram, type ProgramSpec } from './supervised-program.ts';

let spec: ProgramSpec;
try {
  spec = JSON.parse(requireEnv('MESHPROOF_PROGRAM', 'the program to run, as JSON')) as ProgramSpec;
} catch (err) {
  process.stderr.write(`command supervisor: MESHPROOF_PROGRAM is not valid JSON: ${(err as Error).message}\n`);
  process.exit(1);
}

const program = new SupervisedProgram(spec);
let ready = false;

/** Sends a message and resolves once it is on its way (or at once without a channel). */
function tell(message: ChildMessage): Promise<void> {
  if (typeof process.send !== 'function' || !process.connected) return Promise.resolve();
  return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
}

program.onExit((code, signal, output) => {
  // Before it was ready, start() reports the failure itself.
  if (!ready) return;
  void tell({ type: 'exited', code, signal, output }).then(() => process.exit(0));
});

await runChild({
  name: `supervisor of ${spec.instance}`,
  start: async () => {
    try {
      const { port, pid } = await program.start();
      ready = true;
      return { type: 'ready', role: 'app', port, pid };
    } catch (err) {
      const failure = err instanceof ProgramFailure ? err : new ProgramFailure((err as Error).message, []);
      await program.stop(500);
      await tell({ type: 'failed', why: failure.message, output: failure.output });
      throw failure;
    }
  },
  close: () => program.stop(),
  closeTimeoutMs: 2500,
});
