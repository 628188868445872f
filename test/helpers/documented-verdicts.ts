import assert from 'node:assert/strict';
import type { RunResult } from '../../src/report/run-result.ts';

/**
A shipped scenario's run against its documented verdicts (issue 12): exactly the documented exit
and failing expectations; or, when the harness broke a promise a verdict depends on (a busy
machine), exit 3 with those verdicts inconclusive, each with its reasons — never the opposite
verdict: every expectation it still decided is decided as documented.
*/
export function assertDocumentedVerdicts(code: number | null, result: RunResult, documented: { code: number; failing?: string[]; mayFail?: string[] }, context: string): void {
  const failing = new Set(documented.failing ?? []);
  // Decided either way as documented: the run's order (not the mesh's policy) picks which.
  const either = new Set(documented.mayFail ?? []);
  const explain = `verdicts: ${result.verdicts.map((v) => `${v.status}: ${v.explanation}${v.inconclusive ? ` (${v.inconclusive.reasons.join('; ')})` : ''}`).join('\n')}${context}`;
  const inconclusive = result.verdicts.filter((v) => v.status === 'inconclusive');
  if (inconclusive.length === 0) {
    assert.equal(code, documented.code, `exit code\n${explain}`);
    const failed = result.verdicts.filter((v) => v.status !== 'held' && !(either.has(v.expectation.text) && v.status === 'failed')).map((v) => v.expectation.text);
    assert.deepEqual(failed.sort(), [...failing].sort(), explain);
    return;
  }
  for (const v of inconclusive) assert.ok((v.inconclusive?.reasons.length ?? 0) > 0, `${v.expectation.text} is inconclusive with a reason\n${explain}`);
  for (const v of result.verdicts) {
    if (v.status === 'inconclusive' || (either.has(v.expectation.text) && (v.status === 'held' || v.status === 'failed'))) continue;
    assert.equal(v.status, failing.has(v.expectation.text) ? 'failed' : 'held', `${v.expectation.text}: decided as documented\n${explain}`);
  }
  const anyFailed = result.verdicts.some((v) => v.status === 'failed');
  assert.equal(code, anyFailed ? 1 : 3, `exit code: 1 when one failed, else 3 for inconclusive\n${explain}`);
}

/**
A run started in-process (no exit code) whose every expectation is documented to hold: each held,
or, on a machine too busy to judge, is inconclusive with its reasons — none failed, none without data.
*/
export function assertAllHeld(result: RunResult, context = ''): void {
  // The exit code the CLI would give it (src/api/run-one.ts): checked against the verdicts.
  const code = result.passed ? 0 : result.verdicts.some((v) => v.status === 'failed') ? 1 : 3;
  assertDocumentedVerdicts(code, result, { code: 0 }, context);
}
