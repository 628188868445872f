import type { ScenarioRun } from './run.ts';

/** What `meshproof run` exits with, for each way a scenario's run can end. */
const CODES: Record<ScenarioRun['outcome'], 0 | 1 | 2 | 3 | 130> = { passed: 0, failed: 1, inconclusive: 3, error: 2, interrupted: 130 };

/**
How bad each exit code is, least first: held (0), inconclusive (3), failed (1), could not run (2),
interrupted (130). A failure outranks an inconclusive verdict: it is a definite observation of the
mesh, where inconclusive only says the harness could not keep its promises; a run that could not
happen outranks both, since its scenario was not judged at all.
*/
const SEVERITY = [0, 3, 1, 2, 130];

/** The exit code of one scenario's outcome; with `strict`, an inconclusive one is a failure (1). */
export function exitCodeOf(outcome: ScenarioRun['outcome'], strict = false): 0 | 1 | 2 | 3 | 130 {
  return strict && outcome === 'inconclusive' ? 1 : CODES[outcome];
}

/** The worse of two exit codes (see SEVERITY); an unknown code counts as the worst. */
export function worstExitCode<T extends number>(a: T, b: T): T {
  const rank = (c: number) => (SEVERITY.includes(c) ? SEVERITY.indexOf(c) : SEVERITY.length);
  return rank(b) > rank(a) ? b : a;
}
