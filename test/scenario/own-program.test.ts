import { describe, expect, test } from 'vitest';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { appEnvironment, fillTemplate, parseTemplate, urlVariable } from '../../src/scenario/app-contract.ts';

/** The `command`, `cwd`, `env` and `ready` keys: what they become, and each mistake at its position. */

function scenario(services: string): string {
  return `version: 1
name: t
description: d
duration: 5s
services:
${services}
load: { target: front, rate: 10/s }
expect: ["success_rate(client) >= 99%"]
`;
}

function issues(services: string): string[] {
  return parseScenario(scenario(services), '/work/shop/scenarios/shop.yaml').issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`);
}

describe('a service that runs its own program', () => {
  test('a command line, its folder relative to the scenario file, env as text, readiness and its timeout', () => {
    const r = parseScenario(
      scenario(`  front:
    command: python3 -m shop --port $PORT
    cwd: ../services/front
    env: { LOG_LEVEL: debug, WORKERS: 2, VERBOSE: true, BANNER: "on \${PORT} $$HOME" }
    ready: { http: /healthz, timeout: 45s }
    calls: [payments]
    replicas: 2
    instances: { front-1: { zone: b } }
  payments:
    command: [node, server.js, "\${PORT}"]`),
      '/work/shop/scenarios/shop.yaml',
    );
    expect(r.issues).toEqual([]);
    const [front, payments] = r.scenario!.services;
    expect(front.command).toBe('python3 -m shop --port $PORT');
    expect(front.cwd).toBe('/work/shop/services/front');
    expect(front.env).toEqual({ LOG_LEVEL: 'debug', WORKERS: '2', VERBOSE: 'true', BANNER: 'on ${PORT} $$HOME' });
    expect(front.ready).toEqual({ probe: { kind: 'http', path: '/healthz' }, timeoutMs: 45_000 });
    expect(front.instances).toEqual({ 'front-1': { zone: 'b' } });
    expect(payments.command).toEqual(['node', 'server.js', '${PORT}']);
    expect(payments.cwd).toBe('/work/shop/scenarios');
    expect(payments.env).toEqual({});
    expect(payments.ready).toEqual({ probe: { kind: 'tcp' }, timeoutMs: 30_000 });
  });

  test('ready: log, and an image service gets the same readiness; the built-in service none', () => {
    const r = parseScenario(
      scenario(`  front:
    command: ./run.sh
    ready: { log: "listening on \\\\d+" }
    calls: [store, cart]
  store:
    image: my-team/store:1.0
    ready: { timeout: 2m }
  cart: {}`),
      'shop.yaml',
    );
    expect(r.issues).toEqual([]);
    const [front, store, cart] = r.scenario!.services;
    expect(front.ready).toEqual({ probe: { kind: 'log', pattern: 'listening on \\d+' }, timeoutMs: 30_000 });
    expect(store.ready).toEqual({ probe: { kind: 'tcp' }, timeoutMs: 120_000 });
    expect(store.command).toBeNull();
    expect(store.cwd).toBeNull();
    expect(cart.ready).toBeNull();
    expect(cart.command).toBeNull();
  });

  test("the built-in service's behaviour keys are errors beside a command or an image, at their line", () => {
    expect(
      issues(`  front:
    command: ./front
    latency: 5ms
    errorRate: 1%
    instances:
      front-0: { concurrency: 4, version: v2 }
    calls: [store]
  store:
    image: store:1
    responseSize: 1KiB`),
    ).toEqual([
      '8:5 services.front.latency: latency is a setting of the built-in service, and front runs its own program (command): remove it (to make front slow or fail, use a fault: http delay/abort, a toxic, or a process fault)',
      '9:5 services.front.errorRate: errorRate is a setting of the built-in service, and front runs its own program (command): remove it (to make front slow or fail, use a fault: http delay/abort, a toxic, or a process fault)',
      '11:18 services.front.instances.front-0.concurrency: concurrency is a setting of the built-in service, and front runs its own program (command): an instance of it may only change zone and version',
      '15:5 services.store.responseSize: responseSize is a setting of the built-in service, and store runs its own image: remove it (to make store slow or fail, use a fault: http delay/abort, a toxic, or a process fault)',
    ]);
  });

  test('cwd, env and ready need a program; cwd needs a command', () => {
    expect(
      issues(`  front:
    cwd: app
    env: { A: b }
    ready: { tcp: true }
    calls: [store]
  store:
    image: store:1
    cwd: here`),
    ).toEqual([
      '7:5 services.front.cwd: cwd goes with command (or image): front runs the built-in service, which has no program of its own to set it for',
      '8:5 services.front.env: env goes with command (or image): front runs the built-in service, which has no program of its own to set it for',
      '9:5 services.front.ready: ready goes with command (or image): front runs the built-in service, which has no program of its own to set it for',
      '13:5 services.store.cwd: cwd is the working folder of command; an image has its own (WORKDIR)',
    ]);
  });

  test('env: references only to what meshproof fills, and never one of its own variables set by hand', () => {
    expect(
      issues(`  front:
    command: ./front
    env:
      A: "\${PORT}"
      B: "\${STORE_URL} \${CART_URL}"
      C: "\${PROT}"
      D: "\${}"
      PORT: 8080
      MESHPROOF_SEED: 3
      STORE_URL: http://elsewhere
      HTTP_PROXY: ""
    calls: [store]
  store: {}`),
    ).toEqual([
      '10:10 services.front.env.B: unknown reference ${CART_URL} (meshproof fills: ${PORT}, ${MESHPROOF_INSTANCE}, ${MESHPROOF_SERVICE}, ${MESHPROOF_SIDECAR}, ${MESHPROOF_RUN_ID}, ${STORE_URL}; $$ is a literal $)',
      '11:10 services.front.env.C: unknown reference ${PROT}; did you mean "PORT"? (meshproof fills: ${PORT}, ${MESHPROOF_INSTANCE}, ${MESHPROOF_SERVICE}, ${MESHPROOF_SIDECAR}, ${MESHPROOF_RUN_ID}, ${STORE_URL}; $$ is a literal $)',
      '12:10 services.front.env.D: "${}" is not a reference: write ${NAME} (or $$ for a literal $)',
      '13:7 services.front.env.PORT: PORT cannot be set in env: meshproof sets it to the port the program must listen on',
      '14:7 services.front.env.MESHPROOF_SEED: MESHPROOF_SEED cannot be set in env: variables starting with MESHPROOF_ are set by meshproof',
      '15:7 services.front.env.STORE_URL: STORE_URL cannot be set in env: meshproof sets it to where store is reached through the sidecar',
    ]);
  });

  test('command: an empty one, an argv item with an unknown reference; ready: two kinds, tcp: false, a broken regex; an unknown key named for what to write', () => {
    expect(
      issues(`  front:
    command: "  "
    calls: [store]
  store:
    command: [node, "\${NOPE}"]
    ready: { tcp: false, log: "(" }
    healthcheck: /healthz`),
    ).toEqual([
      '7:14 services.front.command: found "  "; expected a command line; or a list of the program and its arguments',
      '10:21 services.store.command[1]: unknown reference ${NOPE} (meshproof fills: ${PORT}, ${MESHPROOF_INSTANCE}, ${MESHPROOF_SERVICE}, ${MESHPROOF_SIDECAR}, ${MESHPROOF_RUN_ID}; $$ is a literal $)',
      '11:5 services.store.ready: ready takes one kind of check; found tcp and log (write one of tcp: true, http: /healthz, log: "<regex>")',
      '11:19 services.store.ready.tcp: tcp: false would start the load before the program listens; write tcp: true, or another check: http: /healthz or log: "<regex>"',
      '11:31 services.store.ready.log: not a valid regular expression: /(/: Unterminated group',
      '12:5 services.store.healthcheck: unknown key "healthcheck": write ready: { http: /healthz } (or tcp: true, or log: "<regex>") (valid: replicas, latency, errorRate, errorStatus, concurrency, queue, responseSize, calls, zone, version, zones, rateLimit, quotas, bulkheads, instances, mtls, authorization, image, command, cwd, env, ready)',
    ]);
  });
});

describe('the app contract', () => {
  test('URL variables: upper case, - as _', () => {
    expect(urlVariable('payments')).toBe('PAYMENTS_URL');
    expect(urlVariable('order-db-2')).toBe('ORDER_DB_2_URL');
  });

  test('templates: ${NAME} is filled, $$ is a $, any other $ is left for a shell', () => {
    expect(fillTemplate('${PORT}:$$:$HOME:${NOPE}', { PORT: '80' })).toBe('80:$:$HOME:${NOPE}');
    expect(parseTemplate('a ${B').problem?.message).toBe('"${B" is not a reference: write ${NAME} (or $$ for a literal $)');
  });

  test("the environment of a program: meshproof's variables, then the scenario's env filled from them", () => {
    const env = appEnvironment(
      { runId: 'r1', instance: 'front-0', service: 'front', port: 4000, sidecar: { host: '127.0.0.1', port: 15001 }, upstreams: { 'order-db': { host: '127.0.0.1', port: 15101 } } },
      { DSN: 'postgres://${ORDER_DB_URL}', HTTP_PROXY: '' },
    );
    expect(env).toEqual({
      PORT: '4000',
      MESHPROOF_INSTANCE: 'front-0',
      MESHPROOF_SERVICE: 'front',
      MESHPROOF_RUN_ID: 'r1',
      MESHPROOF_SIDECAR: '127.0.0.1:15001',
      HTTP_PROXY: '',
      http_proxy: 'http://127.0.0.1:15001',
      NO_PROXY: 'localhost,127.0.0.1,::1',
      no_proxy: 'localhost,127.0.0.1,::1',
      PYTHONUNBUFFERED: '1',
      ORDER_DB_URL: 'http://127.0.0.1:15101',
      DSN: 'postgres://http://127.0.0.1:15101',
    });
  });
});
