// docs/explain.md must stay true: its example is what explainScenario prints for the complete
// example of docs/scenario-language.md.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { explainScenario } from '../../src/explain/explain-scenario.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';

const read = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

test('the example in docs/explain.md is what explain prints for the complete example', () => {
  const example = read('scenario-language.md').match(/```yaml\n(version: 1[\s\S]*?)```/)![1];
  const r = parseScenario(example, 'docs/scenario-language.md');
  assert.deepEqual(r.issues, []);
  const printed = explainScenario(r.scenario!);
  const shown = read('explain.md').match(/```text\n([\s\S]*?)```/)![1].trimEnd().split('\n');
  assert.ok(shown.length > 20);
  // The doc leaves out some destinations (…); every line it shows is printed, in the same order.
  let at = 0;
  for (const line of shown) {
    if (line.trim() === '…') continue;
    const found = printed.indexOf(line, at);
    assert.ok(found >= 0, `not printed (or out of order): ${line}`);
    at = found + 1;
  }
});
