import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Recorder } from '../../../src/contract/series.ts';
import { AppWorkReader } from '../../../src/sim/sidecar/app-work.ts';
import { codeLayout } from '../../../src/util/code-layout.ts';
import { runInFreshNode } from '../../helpers/fresh-node.ts';

const url = (srcPath: string) => pathToFileURL(codeLayout.file(srcPath)).href;

describe('the sidecar reading its app\'s work log', () => {
  it('reads a real built-in service\'s log over node:http, without loading undici (fetch would: ~8 MB in every sidecar)', async () => {
    const out = await runInFreshNode(`
      const { BuiltinService } = await import(${JSON.stringify(url('sim/builtin/service.ts'))});
      const { AppWorkReader } = await import(${JSON.stringify(url('sim/sidecar/app-work.ts'))});
      const { serviceSpec } = await import(${JSON.stringify(pathToFileURL(new URL('../../helpers/scenario.ts', import.meta.url).pathname).href)});
      const svc = new BuiltinService({ spec: serviceSpec('store'), instance: 'store-0', sidecar: null });
      const port = await svc.start(0);
      const reader = new AppWorkReader({ instance: 'store-0', recorder: { add() {} } });
      await reader.read({ host: '127.0.0.1', port });
      await svc.close();
      process.stdout.write(JSON.stringify({ incarnation: reader.incarnation, undici: process.moduleLoadList.includes('NativeModule internal/deps/undici/undici') }));
    `);
    const r = JSON.parse(out) as { incarnation: string; undici: boolean };
    // The read happened: the reader took the app's incarnation from its answer.
    expect(r.incarnation).not.toBe('');
    expect(r.undici).toBe(false);
  });

  it('an app that takes the connection and never answers: the read gives up within its bound and throws nothing', async () => {
    const held: Socket[] = [];
    // It reads (so it sees the caller close) and never answers.
    const server = createServer((s) => void held.push(s.resume()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const recorded: unknown[] = [];
      const reader = new AppWorkReader({ instance: 'store-0', recorder: { add: (...a: unknown[]) => void recorded.push(a) } as unknown as Recorder });
      const started = performance.now();
      await reader.read({ host: '127.0.0.1', port });
      // The bound is 500 ms; a generous margin for a loaded machine, far below "never".
      expect(performance.now() - started).toBeLessThan(5000);
      expect(recorded).toEqual([]);
      expect(held.length).toBe(1);
      // The reader closed the connection it gave up on: nothing is left open toward a hung app.
      await new Promise<void>((resolve) => (held[0].destroyed ? resolve() : held[0].once('close', () => resolve())));
    } finally {
      for (const s of held) s.destroy();
      server.close();
    }
  });

  it('an app that answers an empty body, a body that is not JSON or an error status: nothing recorded, nothing thrown', async () => {
    const answers = [{ status: 200, body: '' }, { status: 200, body: 'not json' }, { status: 200, body: 'null' }, { status: 503, body: '{}' }];
    let served = 0;
    const server = createHttpServer((_req, res) => {
      const a = answers[served++];
      res.statusCode = a.status;
      res.end(a.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const recorded: unknown[] = [];
      const reader = new AppWorkReader({ instance: 'store-0', recorder: { add: (...a: unknown[]) => void recorded.push(a) } as unknown as Recorder });
      for (let i = 0; i < answers.length; i++) await reader.read({ host: '127.0.0.1', port });
      // Each read reached the app.
      expect(served).toBe(answers.length);
      expect(recorded).toEqual([]);
      expect(reader.dropped).toBe(0);
    } finally {
      server.close();
    }
  });
});
