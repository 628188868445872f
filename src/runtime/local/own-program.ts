import { statSync } from 'node:fs';
import { MeshproofError } from '../../errors.ts';
import type { ServiceSpec } from '../../scenario/scenario.ts';
import { describeCommand } from './supervised-program.ts';

/**
What the local runtime can run, checked before anything starts — by the CLI (`where` = the scenario
file; an early exit 2) and by `LocalRuntime.start` for callers of the API: an image without a command
runs only on Docker, and a command's folder must exist.
*/
export function checkLocalServices(services: readonly ServiceSpec[], where = ''): void {
  const imaged = services.find((s) => s.image !== null && s.image !== undefined && (s.command ?? null) === null);
  if (imaged) {
    throw new MeshproofError(
      'MESHPROOF_RUNTIME_UNAVAILABLE',
      `${where}service ${imaged.name} runs the image ${imaged.image}, and images run only on the Docker runtime: run with --runtime docker (or runtime: docker in the scenario), or give it a command for the local runtime`,
    );
  }
  for (const s of services) {
    if ((s.command ?? null) === null || !s.cwd) continue;
    let isDir = false;
    try {
      isDir = statSync(s.cwd).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) {
      throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `${where}service ${s.name}: its command would run in ${s.cwd}, which is not a folder (cwd is relative to the scenario file)`);
    }
  }
}

/**
The message of a user's program that did not start: which instance, its command, why, and the last
lines of its output (and where all of it is).
*/
export function programStartFailure(instance: string, spec: ServiceSpec, why: string, output: string[], logFile: string | null): string {
  const lines = [
    `${instance} (service ${spec.name}) did not start: ${why}`,
    `  command: ${describeCommand(spec.command ?? '')}`,
    `  in: ${spec.cwd}`,
  ];
  if (output.length === 0) lines.push('  it wrote nothing to stdout or stderr');
  else {
    lines.push(`  the last ${output.length === 1 ? 'line' : `${output.length} lines`} of its output${logFile ? ` (all of it in ${logFile})` : ''}:`);
    for (const l of output) lines.push(`  | ${l}`);
  }
  return lines.join('\n');
}
