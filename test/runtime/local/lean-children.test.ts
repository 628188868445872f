import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeLayout } from '../../../src/util/code-layout.ts';
import { runInFreshNode } from '../../helpers/fresh-node.ts';

/**
What each process the local runtime starts loads of Node's own modules at start: its entry's static
imports, imported in a fresh Node (an entry itself starts serving when imported). An ESM
`import … from 'node:http'` loads undici (with http2, zlib and worker_threads: ~8 MB of RSS a
process): the regression this catches. (node:tls is not in the list: with auto mTLS, Istio's default,
every pod has an identity and its sidecar needs TLS from its first config push.)
*/
const ENTRIES = ['sim/sidecar/main.ts', 'sim/builtin/main.ts', 'chaos/toxiproxy/engine-process.ts', 'sim/ratelimit/main.ts', 'sim/host/main.ts', 'runtime/local/command-supervisor.ts'];

/** The specifiers an entry imports for their values (type-only imports are erased), resolved. */
function staticImports(entry: string): string[] {
  const file = codeLayout.file(entry);
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^import (?!type )[^;]*? from '([^']+)';/gms)].map((m) => (m[1].startsWith('.') ? new URL(m[1], pathToFileURL(file)).href : m[1]));
}

/** What an ESM import of node:http, or a call of fetch, brings along, and none of these processes uses. */
const UNNEEDED = ['internal/deps/undici/undici', 'http2', 'zlib', 'worker_threads'];

async function loadedBuiltins(urls: string[]): Promise<string[]> {
  const script = `for (const u of ${JSON.stringify(urls)}) await import(u);
process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13))));`;
  return JSON.parse(await runInFreshNode(script)) as string[];
}

describe('what the local runtime\'s processes load at start', () => {
  for (const entry of ENTRIES) {
    it(`${entry}: no undici, http2, zlib or worker_threads`, async () => {
      const imports = staticImports(entry);
      expect(imports.length).toBeGreaterThan(1);
      const loaded = await loadedBuiltins(imports);
      // The probe reached the code: node:http is what every one of these serves or calls with.
      expect(loaded).toContain('http');
      expect(UNNEEDED.filter((m) => loaded.includes(m))).toEqual([]);
    });
  }

  it('catches an ESM import of node:http (the probe can fail)', async () => {
    expect(await loadedBuiltins([pathToFileURL(codeLayout.file('runtime/ready-probe.ts')).href])).not.toContain('internal/deps/undici/undici');
    expect(await loadedBuiltins(['node:http'])).toContain('internal/deps/undici/undici');
  });
});
