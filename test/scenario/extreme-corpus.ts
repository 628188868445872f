/**
Malformed and extreme scenarios: every limit, merge keys, x- keys, deep nesting, long names, a file
too big. Each comes with every issue it must produce, exactly: `line:col path` and the whole message.
The small ones are files in fixtures/extreme/; the big ones (thousands of items, 100 000-character
names, 10 000 levels of nesting) are generated here, so the repository does not carry megabytes of
brackets. Used by the parser's tests and by the test that `run` starts nothing for any of them.
*/
import { readdirSync, readFileSync } from 'node:fs';
import { atMost, LIMITS, type Limit } from '../../src/scenario/limits.ts';

export interface ExtremeCase {
  /** File name, as it appears in messages. */
  name: string;
  text: string;
  /** Every issue, in order: [`line:col path`, exact message]. */
  issues: Array<[string, string]>;
}

const DIR = new URL('./fixtures/extreme/', import.meta.url);

const over = (found: string | number, limit: Limit) => `found ${found}; ${atMost(limit)}`;
const tooLong = (text: string, limit: Limit) => `found ${text.length} characters (${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}); ${atMost(limit)}`;
const n101 = 'n'.repeat(101);
const s61 = 's'.repeat(61);
const durationWhy = LIMITS.duration.why;

/** The committed fixtures and what each must say. */
const FILES: Record<string, Array<[string, string]>> = {
  'load-limits.yaml': [
    ['11:9 load.rate', over('1e+308', LIMITS.rate)],
    ['12:16 load.connections', over(10000000, LIMITS.connections)],
    ['14:24 load.phases[0].rate', over('"30000/s"', LIMITS.rate)],
  ],
  'instance-limits.yaml': [['8:22 services.store.replicas', over(100000, LIMITS.instances)]],
  'instances-in-all.yaml': [['6:1 services', `found 110 instances in all (most in front 40, store 40, cache 30); ${atMost(LIMITS.instances)}`]],
  'time-limits.yaml': [
    ['5:11 duration', over('"2h"', LIMITS.duration)],
    ['7:37 services.front.latency', `${over('"90m"', LIMITS.duration)}; or a mapping with keys p50, p99`],
    ['11:14 mesh.store.timeout', `${over('"48h"', LIMITS.duration)}; or "none"`],
    ['12:43 mesh.store.outlierDetection.baseEjectionTime', over('"1000h"', LIMITS.duration)],
    ['15:32 faults[0].for', over('"25h"', LIMITS.duration)],
    ['15:85 faults[0].toxic.latency', `found 4000000 (ms); at most 3600000 (1h): ${durationWhy}`],
    ['16:101 faults[1].toxic.delay', `found 4000000000 (µs); at most 3600000000 (1h): ${durationWhy}`],
    ['17:88 faults[2].toxic.delay', `found 3600001 (ms); at most 3600000 (1h): ${durationWhy}`],
  ],
  'count-limits.yaml': [
    ['5:7 seed', over(9007199254740992, LIMITS.seed)],
    ['9:25 services.store.concurrency', `${over(5000000000, LIMITS.count)}; or "unlimited"`],
    ['9:44 services.store.queue', over(4294967296, LIMITS.count)],
    ['12:26 mesh.store.retries.attempts', over(101, LIMITS.retryAttempts)],
    ['13:39 mesh.store.connectionPool.maxConnections', `${over(99999999999, LIMITS.count)}; or "unlimited"`],
    ['14:41 mesh.store.locality.overprovisioningFactor', over(1000000000000, LIMITS.count)],
  ],
  'calls-per-request.yaml': [
    ['11:17 load.target', `one request to a makes more than 1000 calls through the mesh (most to d 1000, c 100, b 10); ${atMost(LIMITS.callsPerRequest)}`],
  ],
  'sentence-limits.yaml': [
    ['14:29 expect[0]', over('"2h"', LIMITS.duration)],
    ['15:37 expect[1]', over('"5h"', LIMITS.duration)],
  ],
  'series-seconds.yaml': [
    [
      '5:11 duration',
      'a run of 1h records 204 series every second (the client, 100 instances and the ingress, 2 edges between services, 100 caller-to-instance pairs): ' +
        `734400 per-second figures; ${atMost(LIMITS.seriesSeconds)}. With this topology a run lasts at most 29m`,
    ],
  ],
  'merge-keys.yaml': [],
  'merge-mistakes.yaml': [
    ['8:16 services.front', 'a merge key (<<) takes an alias to a mapping, found "5ms"'],
    ['9:17 services.store', 'a merge key (<<) takes an alias to a mapping, found "1" (a number)'],
    ['9:20 services.store', 'a merge key (<<) takes an alias to a mapping, found "2" (a number)'],
    ['10:16 services.cache', 'unknown alias *later; an alias refers to an anchor (&later) written before it'],
    ['11:30 services.db', 'a merge key (<<) merges a mapping that merges this one back'],
  ],
  'name-limits.yaml': [
    ['4:7 name', tooLong(n101, LIMITS.scenarioName)],
    ['8:20 services.front.calls[0]', tooLong(s61, LIMITS.name)],
    [`9:3 services.${s61}`, `invalid service name: ${tooLong(s61, LIMITS.name)}`],
    [`9:74 services.${s61}.zone`, tooLong('z'.repeat(61), LIMITS.name)],
    ['12:13 faults[0].name', tooLong('f'.repeat(61), LIMITS.name)],
  ],
};

/** A valid scenario with `extra` lines at the top level and `services` replaced when given. */
function scenario(parts: { name?: string; before?: string; services?: string; load?: string; extra?: string; expect?: string; duration?: string }): string {
  return [
    'version: 1',
    `name: ${parts.name ?? 'generated'}`,
    'description: A generated extreme scenario.',
    `duration: ${parts.duration ?? '10s'}`,
    ...(parts.before ? [parts.before] : []),
    `services:\n${parts.services ?? '  front: {}'}`,
    `load: ${parts.load ?? '{ target: front, rate: 10/s }'}`,
    ...(parts.extra ? [parts.extra] : []),
    `expect:\n${parts.expect ?? '  - success_rate(client) >= 99%'}`,
    '',
  ].join('\n');
}

const deepMessage = `found mappings and lists nested more than ${LIMITS.depth.max} levels deep; ${atMost(LIMITS.depth)}`;

/** Cases too big to commit, generated with their expected issues. */
function generated(): ExtremeCase[] {
  const cases: ExtremeCase[] = [];
  // 2000 and 10 000 levels of flow nesting under an x- key: refused at the 64th bracket (the root mapping is the first level).
  for (const levels of [2000, 10_000]) {
    cases.push({
      name: `deep-flow-${levels}.yaml`,
      text: `version: 1\nname: deep\nx-deep: ${'['.repeat(levels)}${']'.repeat(levels)}\n`,
      issues: [[`3:${9 + 63} `, deepMessage]],
    });
  }
  // Block nesting: each level two columns further right.
  let block = 'version: 1\nname: deep\nx-deep:\n';
  for (let i = 1; i <= 100; i++) block += `${'  '.repeat(i)}k${i}:\n`;
  cases.push({ name: 'deep-block-100.yaml', text: block, issues: [[`67:129 `, deepMessage]] });
  // A list of `- - - …` on one line: each dash a level.
  cases.push({ name: 'deep-dashes.yaml', text: `version: 1\nx-deep: ${'- '.repeat(5000)}end\n`, issues: [[`2:${9 + 63 * 2} `, deepMessage]] });

  // Merge keys chained past the nesting limit: 70 mappings, each merging the one before.
  const chain = ['x-m0: &m0 { replicas: 1 }'];
  for (let i = 1; i < 70; i++) chain.push(`x-m${i}: &m${i} { <<: *m${i - 1} }`);
  cases.push({
    name: 'merge-chain-70.yaml',
    text: scenario({ before: chain.join('\n'), services: '  front: { <<: *m69 }' }),
    issues: [['76:16 services.front', `merge keys (<<) chained more than ${LIMITS.depth.max} deep; ${atMost(LIMITS.depth)}`]],
  });

  // 100 000-character names: a scenario name, a reference, a service name and an unknown key (as
  // explicit keys, `? key`: YAML allows an implicit key of at most 1024 characters).
  const long = 'a'.repeat(100_000);
  cases.push({
    name: 'long-names.yaml',
    text: scenario({ name: long, services: `  front: { calls: [${long}] }\n  ? ${long}\n  : {}`, load: `\n  target: front\n  rate: 10/s\n  ? ${long}\n  : 1` }),
    issues: [
      ['2:7 name', tooLong(long, LIMITS.scenarioName)],
      ['6:20 services.front.calls[0]', tooLong(long, LIMITS.name)],
      [`7:5 services.${long.slice(0, 40)}…`, `invalid service name: ${tooLong(long, LIMITS.name)}`],
      [`12:5 load.${long.slice(0, 40)}…`, `unknown key ${JSON.stringify(`${long.slice(0, 40)}…`)} (100000 characters) (valid: target, rate, arrivals, connections, duration, path, plaintext, host, phases)`],
    ],
  });
  // Written as an implicit key, the YAML reader itself refuses it, at its position.
  cases.push({
    name: 'long-implicit-key.yaml',
    text: scenario({ services: `  front: {}\n  ${'b'.repeat(2000)}: {}` }),
    issues: [['7:3 ', 'YAML syntax: The : indicator must be at most 1024 chars after the start of an implicit block mapping key']],
  });
  // Text past its limit: a description, an expectation sentence, a request path.
  const sentence = `success_rate(client) >= 99% ${'x'.repeat(1100)}`;
  const path = `/${'p'.repeat(LIMITS.requestPath.max)}`;
  cases.push({
    name: 'long-text.yaml',
    text: scenario({ load: `{ target: front, rate: 10/s, path: ${path} }`, expect: `  - ${sentence}` }).replace('A generated extreme scenario.', 'd'.repeat(2000)),
    issues: [
      ['3:14 description', tooLong('d'.repeat(2000), LIMITS.text)],
      ['7:42 load.path', tooLong(path, LIMITS.requestPath)],
      ['9:5 expect[0]', tooLong(sentence, LIMITS.text)],
    ],
  });

  // Lists and mappings past their limits: 101 services, 3601 phases, 1001 faults, 1001 expectations.
  const services = Array.from({ length: 101 }, (_, i) => `  s${i}: {}`).join('\n');
  cases.push({
    name: 'services-101.yaml',
    text: scenario({ services, load: '{ target: s0, rate: 10/s }' }),
    issues: [['6:3 services', `found a mapping of 101 service names; ${atMost(LIMITS.instances)}`]],
  });
  const phases = Array.from({ length: 3601 }, () => '{ for: 1s, rate: 1/s }').join(', ');
  cases.push({
    name: 'phases-3601.yaml',
    text: scenario({ duration: '1h', load: `{ target: front, phases: [${phases}] }` }),
    issues: [['7:32 load.phases', `found a list of 3601 phases; ${atMost(LIMITS.phases)}`]],
  });
  const faults = Array.from({ length: 1001 }, (_, i) => `  - { name: f${i}, at: 1s, target: front, http: { abort: 503 } }`).join('\n');
  cases.push({
    name: 'faults-1001.yaml',
    text: scenario({ extra: `faults:\n${faults}` }),
    issues: [['9:3 faults', `found a list of 1001 faults; ${atMost(LIMITS.faults)}`]],
  });
  const expectations = Array.from({ length: 1001 }, () => '  - success_rate(client) >= 99%').join('\n');
  cases.push({
    name: 'expect-1001.yaml',
    text: scenario({ expect: expectations }),
    issues: [['9:3 expect', `found a list of 1001 expectation sentences; ${atMost(LIMITS.expectations)}`]],
  });
  return cases;
}

/** Every case of the corpus: the committed files, then the generated ones. */
export function extremeCorpus(): ExtremeCase[] {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
  const missing = files.filter((f) => !(f in FILES));
  if (missing.length) throw new Error(`fixtures/extreme has files with no expected issues: ${missing.join(', ')}`);
  return [...files.map((name) => ({ name, text: readFileSync(new URL(name, DIR), 'utf8'), issues: FILES[name] })), ...generated()];
}

/** A file over the size limit: a valid start, then comments past 1 MiB. */
export function oversizedText(): string {
  const head = scenario({});
  const line = `# ${'c'.repeat(97)}\n`;
  return head + line.repeat(Math.ceil((LIMITS.fileSize.max - head.length) / line.length) + 10);
}
