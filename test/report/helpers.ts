import { readFileSync } from 'node:fs';
import type { RunResult } from '../../src/report/run-result.ts';

/** A fresh copy of the example run (2 services, 3 expectations, the p99 one failed). */
export function exampleResult(): RunResult {
  return JSON.parse(readFileSync(new URL('./fixtures/example-result.json', import.meta.url), 'utf8')) as RunResult;
}
