/**
meshproof's programmatic API: what `meshproof run`, `meshproof prove` and `meshproof validate` do, for people who drive
meshproof from their own test runner. Nothing here prints unless asked or exits the process.

```ts
import { run, validate } from 'meshproof';
const summary = await run('scenarios/starter.yaml', { reports: 'reports' });
summary.passed; // every expectation of every scenario held
summary.runs[0].verdicts; // each expectation: held or failed, the measured value, the evidence
summary.runs[0].reportDir; // report.html, junit.xml, summary.md, result.json
```
See docs/api.md.
*/
export { run, type RunOptions, type RunPrintOptions, type RunSummary, type ScenarioRun } from './api/run.ts';
export { prove, type ProveOptions, type ProveSummary } from './api/prove.ts';
export type { DeclaredPolicy, PolicyKind } from './plan/plan-prove.ts';
export type { Cell, PolicyRow, ProveMatrix, VariantRun } from './report/prove/prove-matrix.ts';
export type { ExpectationStability, RepeatRun, RepeatSummary, Spread } from './report/repeat/repeat-summary.ts';
export { validate, type ScenarioProblem, type ValidateOptions, type ValidateResult, type ValidScenario } from './api/validate.ts';
export { MeshproofError, ScenarioInvalidError, type ErrorCode, type ScenarioIssue } from './errors.ts';
export type { RunEvent } from './events.ts';
export type { RunResult } from './report/run-result.ts';
export type { Scenario } from './scenario/scenario.ts';
export type { Verdict } from './verdict/verdict.ts';
