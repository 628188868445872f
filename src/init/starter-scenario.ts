/**
The scenario `meshproof init` writes: small, commented, and green on a laptop or a CI runner in
about fifteen seconds. Its first line is the yaml-language-server modeline naming the JSON Schema
(`schemaPath`, relative to the scenario's folder), so editors with a YAML language server (VS Code's
Red Hat YAML, Neovim, JetBrains) complete and check its keys.
*/
export function starterScenario(schemaPath: string): string {
  return `# yaml-language-server: $schema=${schemaPath}
#
# A meshproof scenario: services and their sidecars, the mesh policies the sidecars enforce, a
# load, faults on a schedule, and what must hold. meshproof brings it up for real on this machine
# (every instance is an app process plus a sidecar proxy on 127.0.0.1), drives the load, injects
# the faults and decides each expectation with evidence.
#
#   npx meshproof validate scenarios/       check every scenario, run nothing (exit 2 if one is wrong)
#   npx meshproof explain scenarios/starter.yaml    what it will do, in plain words
#   npx meshproof run scenarios/starter.yaml        run it: exit 0 every expectation held, 1 one failed
#
# Reports go to ./reports/<time>-starter/ (report.html, junit.xml, summary.md, result.json).
# Every key and its default: node_modules/meshproof/docs/scenario-language.md
version: 1
name: starter
description: web → api → three db replicas; one db replica starts answering 503 and the api's retries and outlier detection keep the clients from noticing.
# Every random choice (latency draws, error rolls, load balancing, jitter) derives from the seed.
seed: 1
duration: 8s

services:
  # Without a program of their own, services run meshproof's built-in service, which behaves as
  # declared here: a latency distribution, an error rate, a concurrency limit, the calls it makes.
  web:
    calls: [api]
  api:
    latency: { p50: 2ms, p99: 10ms }
    calls: [db]
  db:
    replicas: 3 # db-0, db-1, db-2
    latency: { p50: 5ms, p99: 20ms }

mesh:
  # What the callers' sidecars do toward db: a timeout, retries, and passive health checking that
  # ejects a replica failing in a row (Istio's DestinationRule and VirtualService, Envoy's cluster).
  db:
    timeout: 1s
    retries: { attempts: 2, perTryTimeout: 200ms, retryOn: [5xx, reset, connect-failure] }
    outlierDetection: { consecutive5xx: 5, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 50% }

# Open-loop load into web's sidecar: 50 requests a second, whatever the mesh does.
load: { target: web, rate: 50/s }

faults:
  # From 2s to 6s, db-1's sidecar answers 503 to everything. Other kinds: a process kill or pause
  # (process: kill, restartAfter: 2s), latency or a reset on the wire (toxic: …), a partition.
  - name: db-1-fails
    at: 2s
    for: 4s
    target: db-1
    http: { abort: 503 }

expect:
  # The clients never notice: every 503 is retried on another replica.
  - success_rate(client) >= 99%
  - p99(client) < 500ms
  # api's sidecar stops sending to db-1 soon after it starts failing.
  - ejected(db-1) within 2s after db-1-fails.start
  - requests(api -> db-1) == 0 during db-1-fails from +2s
`;
}
