import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { waitFor } from '../src/util/http-json.ts';
import type { StartedPath } from './bench-path.ts';
import type { BenchChildren } from './children.ts';
import { withDescendants } from './proc-stats.ts';

const HOST = '127.0.0.1';

export const NGINX_MISSING = 'nginx not installed: apt-get install nginx-light';

export interface NginxInstall {
  path: string;
  version: string;
  /** `nginx -V`, to know which modules (and so which temp-path directives) exist. */
  configureArgs: string;
}

/**
Finds nginx on PATH or in the sbin directories Debian installs it to (not on a non-root PATH).
MESHPROOF_BENCH_NGINX names a binary to use instead, or `none` to leave nginx out.
*/
export function findNginx(env: NodeJS.ProcessEnv = process.env): NginxInstall | null {
  const chosen = env.MESHPROOF_BENCH_NGINX;
  if (chosen === 'none') return null;
  const candidates = chosen
    ? [chosen]
    : [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'].filter(Boolean).map((dir) => join(dir, 'nginx'));
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    // nginx prints -V to stderr.
    const r = spawnSync(path, ['-V'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
    const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status === 0 && text.includes('nginx version')) return parseVersion(path, text);
  }
  return null;
}

function parseVersion(path: string, text: string): NginxInstall {
  const m = /nginx version: nginx\/(\S+)/.exec(text);
  return { path, version: m ? m[1] : 'unknown', configureArgs: text };
}

/** A port free right now on 127.0.0.1 (nginx cannot report the port it bound, so it must be told one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
One nginx as a plain keep-alive reverse proxy: 1 worker, no access log, keep-alive to its upstream,
requests per connection raised on both sides so neither nginx nor the sidecar is charged for
reconnecting every 1000 requests (nginx's default), which a sidecar does not do either.
*/
export function nginxConf(options: { dir: string; listenPort: number; upstreamPort: number; configureArgs: string }): string {
  const { dir, listenPort, upstreamPort, configureArgs } = options;
  // Temp paths default to /var/lib/nginx/*, which a non-root user cannot create; only modules compiled in accept the directive.
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .filter((m) => m === 'client_body' || m === 'proxy' || !configureArgs.includes(`--without-http_${m}_module`))
    .map((m) => `  ${m}_temp_path ${join(dir, `${m}_temp`)};`)
    .join('\n');
  return `# written by meshproof bench; runs in the foreground with -g 'daemon off;'
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
${temp}
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  upstream next_hop {
    server ${HOST}:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }
  server {
    listen ${HOST}:${listenPort};
    location / {
      proxy_pass http://next_hop;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/**
Two nginx instances, the same shape as the sidecar pair: load generator → caller nginx → callee
nginx → upstream. Each runs in the foreground as a child of the bench, in its own temp prefix.
*/
export async function startNginxPair(options: {
  nginx: NginxInstall;
  upstreamPort: number;
  children: BenchChildren;
  signal: AbortSignal;
  readyTimeoutMs?: number;
}): Promise<StartedPath> {
  const { nginx, upstreamPort, children, signal, readyTimeoutMs = 10_000 } = options;
  const masters: number[] = [];

  const startOne = async (name: string, toPort: number): Promise<number> => {
    const dir = mkdtempSync(join(tmpdir(), `meshproof-bench-nginx-${name}-`));
    children.addTempDir(dir);
    // Workers run as an unprivileged user when nginx is started as root.
    chmodSync(dir, 0o755);
    const listenPort = await freePort();
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, nginxConf({ dir, listenPort, upstreamPort: toPort, configureArgs: nginx.configureArgs }));
    const child = spawn(nginx.path, ['-p', `${dir}/`, '-e', join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let tail = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (tail = (tail + d).slice(-2000)));
    children.add(child, `nginx ${name}`);
    let exited: string | null = null;
    child.once('exit', (code, sig) => (exited = `exited (code ${code}, signal ${sig})`));
    child.once('error', (err) => (exited = err.message));
    await waitFor(
      async () => {
        if (exited) throw new Error(`nginx ${name} ${exited}: ${tail.trim()}`);
        if (signal.aborted) throw new Error('interrupted');
        const res = await fetch(`http://${HOST}:${listenPort}/`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return res.status === 200 ? true : undefined;
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 50, describe: () => `nginx ${name} answering 200 on ${HOST}:${listenPort}${exited ? ` (it ${exited}: ${tail.trim()})` : ''}` },
    );
    masters.push(child.pid!);
    for (const pid of withDescendants([child.pid!])) if (pid !== child.pid) children.addPid(pid, `nginx ${name} worker`);
    return listenPort;
  };

  const calleePort = await startOne('callee', upstreamPort);
  const callerPort = await startOne('caller', calleePort);
  return {
    id: 'nginx',
    url: `http://${HOST}:${callerPort}/`,
    host: 'up',
    proxyPids: () => withDescendants(masters),
    describe: `2 nginx ${nginx.version} (1 master + 1 worker each)`,
  };
}
