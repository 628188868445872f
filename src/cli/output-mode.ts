import type { OutputMode } from '../api/run-output.ts';

export interface OutputModeInput {
  /** `--json`: machine-readable events, one JSON object a line. */
  json?: boolean;
  /** `--plain`: plain progress lines even on a terminal. */
  plain?: boolean;
  /** Whether stdout is a terminal. */
  stdoutIsTTY: boolean;
  env: Record<string, string | undefined>;
}

/**
The live view only where a person watches a terminal: stdout is a TTY, JSON was not asked for, and
this is not CI (CI consoles are often TTY-like but keep no cursor state) nor a dumb terminal.
Everything else gets plain lines, which are safe in a log or a pipe.
*/
export function outputMode(input: OutputModeInput): OutputMode {
  if (input.json) return 'json';
  if (input.plain || !input.stdoutIsTTY) return 'plain';
  if (isCI(input.env) || input.env.TERM === 'dumb') return 'plain';
  return 'live';
}

/** `CI` set to anything but an empty string, `0` or `false` (GitHub Actions, GitLab, Buildkite… all set it). */
export function isCI(env: Record<string, string | undefined>): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}
