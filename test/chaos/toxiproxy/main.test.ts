import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'vitest';
import { runToxiproxyCommand } from '../../../src/chaos/toxiproxy/main.ts';
import { deadPort, tcpServer, until } from '../helpers.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/run-toxiproxy-command.ts', import.meta.url));

function capture(): { io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } },
    out: () => out,
    err: () => err,
  };
}

test('bad flags exit 2 with a message naming the flag', async () => {
  for (const [argv, pattern] of [
    [['--port', 'abc'], /--port must be an integer from 0 to 65535, got "abc"/],
    [['--port', '70000'], /--port must be an integer/],
    [['--seed=-1'], /--seed must be an integer from 0 to 4294967295/],
    [['--seed', '1e3'], /--seed must be an integer/],
    [['--bogus'], /Unknown option '--bogus'[\s\S]*Usage: meshproof toxiproxy/],
    [['extra'], /Unexpected argument 'extra'/],
  ] as const) {
    const c = capture();
    assert.equal(await runToxiproxyCommand([...argv], c.io), 2, argv.join(' '));
    assert.match(c.err(), pattern);
  }
});

test('a port in use exits 2 and says so', async () => {
  const taken = await tcpServer(() => {});
  const c = capture();
  assert.equal(await runToxiproxyCommand(['--port', String(taken.port)], c.io), 2);
  assert.match(c.err(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${taken.port}: the address is already in use`));
});

test('--help prints the usage and exits 0', async () => {
  const c = capture();
  assert.equal(await runToxiproxyCommand(['--help'], c.io), 0);
  assert.match(c.out(), /Usage: meshproof toxiproxy \[--host 127\.0\.0\.1\] \[--port 8474\] \[--seed N\]/);
});

test('in-process: prints where it listens and its seed, serves the API, and stops on the signal', async () => {
  const c = capture();
  const stop = new AbortController();
  const port = await deadPort();
  const running = runToxiproxyCommand(['--port', String(port), '--seed', '42'], { ...c.io, signal: stop.signal });
  await until(() => c.out().includes('listening'), 5000, 'the command starts');
  assert.match(c.out(), new RegExp(`listening on http://127\\.0\\.0\\.1:${port} \\(seed 42\\)`));
  const version = await fetch(`http://127.0.0.1:${port}/version`).then((r) => r.json());
  assert.deepEqual(version, { version: '2.12.0-meshproof' });
  stop.abort();
  assert.equal(await running, 0);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/version`));
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`as a process: exits 0 on ${signal} after closing its proxies`, async () => {
    const port = await deadPort();
    const child = spawn(process.execPath, [FIXTURE, '--port', String(port), '--seed', '7'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => out.includes('listening'), 10_000, 'the server starts');
      assert.match(out, /seed 7/);
      const created = await fetch(`http://127.0.0.1:${port}/proxies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'p', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' }),
      }).then((r) => r.json() as Promise<{ listen: string }>);
      child.kill(signal);
      assert.equal(await exited, 0);
      assert.match(out, new RegExp(`${signal}, closing every proxy`));
      const proxyPort = Number(created.listen.split(':')[1]);
      await assert.rejects(fetch(`http://127.0.0.1:${proxyPort}/`), 'the proxy listener is gone with the process');
    } finally {
      child.kill('SIGKILL');
    }
  });
}
