// `meshproof run` on any scenario of the malformed and extreme corpus prints its issues (file:line:col
// path: message), exits 2 and starts nothing: no child process, no worker, no run record, no report
// folder. The children are seen at the OS edge by a module loaded into the real CLI (record-children.ts).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { extremeCorpus, oversizedText } from '../scenario/extreme-corpus.ts';
import { CLI, ROOT } from '../helpers/cli.ts';
import { compileCacheDir } from '../../src/process/child-process.ts';

const RECORDER = fileURLToPath(new URL('../helpers/record-children.ts', import.meta.url));

let base = '';
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'meshproof-starts-nothing-'));
});
afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

interface Observed {
  code: number | null;
  stderr: string;
  children: string[];
  /** Everything the run left in its reports folder, its run registry and its temporary folder. */
  left: string[];
}

/** Runs `meshproof run <file>` with its own reports, state and temporary folders, watching what it starts. */
async function observeRun(name: string, text: string, extra: string[] = []): Promise<Observed> {
  const dir = join(base, name.replace(/\W/g, '_'));
  await mkdir(join(dir, 'tmp'), { recursive: true });
  const file = join(dir, name);
  await writeFile(file, text);
  const log = join(dir, 'children.log');
  const child = spawn(process.execPath, ['--import', RECORDER, CLI, 'run', file, '--plain', '--reports', join(dir, 'reports'), ...extra], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', TMPDIR: join(dir, 'tmp'), MESHPROOF_STATE_DIR: join(dir, 'state'), MESHPROOF_TEST_CHILDREN_LOG: log },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`meshproof run ${name} did not finish within 60 s:\n${stderr.slice(0, 2000)}`));
    }, 60_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const left = ['reports', 'state', 'tmp'].flatMap((d) => entriesOf(dir, d));
  const children = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  return { code, stderr, children, left };
}

/**
What a run left in `dir`/`folder`, as `folder/name`. Node's compile cache under the temporary folder
(the CLI's own compiled modules, kept between starts, src/cli.ts) is not the run's: a folder holding
nothing else is not counted.
*/
function entriesOf(dir: string, folder: string): string[] {
  const cache = join('tmp', relative(tmpdir(), compileCacheDir()));
  return existsSync(join(dir, folder))
    ? readdirSync(join(dir, folder))
        .map((f) => join(folder, f))
        .filter((f) => !cache.startsWith(f) || (f !== cache && entriesOf(dir, f).length > 0))
    : [];
}

/** `jobs` at a time, in order. */
async function inBatches<T, R>(items: T[], jobs: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]);
      }
    }),
  );
  return out;
}

describe('run starts nothing for a scenario it refuses', { timeout: 300_000 }, () => {
  test('the recorder sees a child started through a named import, as the CLI starts them', () => {
    const r = spawnSync(process.execPath, ['--import', RECORDER, '--input-type=module', '-e', "import { spawnSync } from 'node:child_process'; spawnSync('true');"], {
      env: { ...process.env, MESHPROOF_TEST_CHILDREN_LOG: join(base, 'control.log') },
    });
    expect(r.status).toBe(0);
    expect(readFileSync(join(base, 'control.log'), 'utf8')).toMatch(/^\d+ spawnSync true\n$/);
  });

  const cases = [...extremeCorpus().filter((c) => c.issues.length > 0), { name: 'oversized.yaml', text: oversizedText(), issues: [] }];

  test(`each of the ${cases.length} refused scenarios: exit 2, its issues at file:line:col, nothing started, nothing left`, async () => {
    const runs = await inBatches(cases, 4, (c) => observeRun(c.name, c.text));
    cases.forEach((c, i) => {
      const r = runs[i];
      expect({ name: c.name, code: r.code, children: r.children, left: r.left }).toEqual({ name: c.name, code: 2, children: [], left: [] });
      const file = join(base, c.name.replace(/\W/g, '_'), c.name);
      for (const [where, message] of c.issues) {
        const [position, ...path] = where.split(' ');
        const line = `  ${file}:${position} ${path.join(' ') ? `${path.join(' ')}: ` : ''}${message}`;
        expect(r.stderr.split('\n'), `${c.name}: ${line.slice(0, 200)}`).toContain(line);
      }
      if (c.name === 'oversized.yaml') expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ found a file of \\d+ bytes \\(it passes 1MiB here\\)`));
      expect(r.stderr).not.toMatch(/internal error|Maximum call stack|ENAMETOOLONG/);
    });
  });

  test('a --duration past the limits is refused the same way, before anything starts', async () => {
    const valid = readFileSync(new URL('../scenario/fixtures/valid-minimal.yaml', import.meta.url), 'utf8');
    const r = await observeRun('valid-minimal.yaml', valid, ['--duration', '2h']);
    expect({ code: r.code, children: r.children, left: r.left }).toEqual({ code: 2, children: [], left: [] });
    expect(r.stderr).toMatch(/^meshproof run: --duration: found 2h; at most 1h: /m);
  });

  test('a reports folder the run could not write into is refused before anything starts', async () => {
    const valid = readFileSync(new URL('../scenario/fixtures/valid-minimal.yaml', import.meta.url), 'utf8');
    const blocker = join(base, 'not-a-folder');
    await writeFile(blocker, '');
    const r = await observeRun('unwritable.yaml', valid, ['--reports', join(blocker, 'reports')]);
    expect({ code: r.code, children: r.children, left: r.left }).toEqual({ code: 2, children: [], left: [] });
    expect(r.stderr).toMatch(/cannot write reports under .*not-a-folder\/reports: ENOTDIR.*nothing was started/);
  });

  test('control: a valid scenario does start its processes and write its report, seen the same way', async () => {
    const valid = readFileSync(new URL('../scenario/fixtures/valid-minimal.yaml', import.meta.url), 'utf8').replace('200/s', '20/s');
    const r = await observeRun('control.yaml', valid, ['--duration', '1s', '--no-traces']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.children.some((c) => / (spawn|fork) /.test(c))).toBe(true);
    expect(r.left.filter((f) => f.startsWith('reports/'))).toHaveLength(1);
  });
});
