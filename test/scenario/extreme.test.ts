// The corpus of malformed and extreme scenarios (extreme-corpus.ts): each is refused with exactly
// the issues it must produce, positioned, quickly; the valid ones read as the yaml library reads them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, onTestFinished, test } from 'vitest';
import { ScenarioInvalidError } from '../../src/errors.ts';
import { atMost, LIMITS } from '../../src/scenario/limits.ts';
import { loadScenario, parseScenario } from '../../src/scenario/parse-scenario.ts';
import { extremeCorpus, oversizedText } from './extreme-corpus.ts';

const shown = (issues: Array<{ line: number; col: number; path: string; message: string }>) => issues.map((i) => [`${i.line}:${i.col} ${i.path}`, i.message]);

describe('every case of the corpus gets exactly its issues', () => {
  for (const c of extremeCorpus()) {
    test(c.name, () => {
      const r = parseScenario(c.text, c.name);
      expect(shown(r.issues)).toEqual(c.issues);
      for (const i of r.issues) expect(i.file).toBe(c.name);
      if (c.issues.length > 0) expect(r.scenario).toBeNull();
      else expect(r.scenario).not.toBeNull();
    });
  }
});

test('merge keys and anchors give what the yaml library gives, x- keys aside', () => {
  const c = extremeCorpus().find((x) => x.name === 'merge-keys.yaml')!;
  const s = parseScenario(c.text, c.name).scenario!;
  const js = parse(c.text, { merge: true }) as Record<string, any>;
  const latency = (l: { p50: string; p99: string }) => ({ kind: 'distribution', p50Ms: parseInt(l.p50), p99Ms: parseInt(l.p99) });
  expect(s.services.map((x) => x.name)).toEqual(['front', 'store']);
  // front: { <<: *l2 } where l2 is { <<: *l1, p99: 40ms }: p50 from l1, p99 from l2.
  expect(js.services.front.latency).toEqual({ p50: '5ms', p99: '40ms' });
  expect(s.services[0].latency).toEqual(latency(js.services.front.latency));
  // store: { <<: [*l2, *l1], p50: 7ms }: its own p50, then l2 before l1.
  expect(js.services.store.latency).toEqual({ p50: '7ms', p99: '40ms' });
  expect(s.services[1].latency).toEqual(latency(js.services.store.latency));
  // mesh.store: { <<: *policy, timeout: 2s }: the own key wins, the rest is merged.
  expect(js.mesh.store.timeout).toBe('2s');
  expect(s.mesh.store.timeoutMs).toBe(2000);
  expect(s.mesh.store.retries?.attempts).toBe(2);
  expect(s.mesh.store.retries?.perTryTimeoutMs).toBe(200);
  // x-user in a route's headers is a header to match, not an extension.
  expect(s.mesh.store.split?.routes[0].headers).toEqual({ 'x-user': 'jason' });
  expect(s.faults.map((f) => f.name)).toEqual(['blip']);
});

describe('a file over the size limit', () => {
  test('is refused where it passes 1 MiB, in memory and from disk, without the rest being read', async () => {
    const text = oversizedText();
    const bytes = Buffer.byteLength(text);
    expect(bytes).toBeGreaterThan(LIMITS.fileSize.max);
    const message = `found a file of ${bytes} bytes (it passes 1MiB here); ${atMost(LIMITS.fileSize)}`;
    const inMemory = parseScenario(text, 'big.yaml').issues;
    expect(inMemory.map((i) => i.message)).toEqual([message]);
    // The position of the first byte past the limit.
    const before = text.slice(0, LIMITS.fileSize.max);
    const line = before.split('\n').length;
    expect([inMemory[0].line, inMemory[0].col]).toEqual([line, before.length - before.lastIndexOf('\n')]);

    const dir = await mkdtemp(join(tmpdir(), 'meshproof-big-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'big.yaml');
    await writeFile(file, text);
    const error = await loadScenario(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioInvalidError);
    expect((error as ScenarioInvalidError).issues.map((i) => [i.file, i.line, i.col, i.message])).toEqual([[file, line, inMemory[0].col, message]]);
  });

  test('a file that never ends (/dev/zero) is refused after reading past the limit', async () => {
    const error = await loadScenario('/dev/zero').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioInvalidError);
    expect((error as ScenarioInvalidError).issues[0].message).toBe(`found a file of more than ${LIMITS.fileSize.max} bytes (it passes 1MiB here); ${atMost(LIMITS.fileSize)}`);
  });
});
