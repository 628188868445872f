import { afterEach, describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { cleanup, render } from 'ink-testing-library';
import { Checklist } from '../../src/tui/components/checklist.ts';
import { Details } from '../../src/tui/components/details.ts';
import { EventLog } from '../../src/tui/components/event-log.ts';
import { FaultTimeline } from '../../src/tui/components/fault-timeline.ts';
import { h } from '../../src/tui/components/h.ts';
import { Header } from '../../src/tui/components/header.ts';
import { Help } from '../../src/tui/components/help.ts';
import { Topology, topologyWants } from '../../src/tui/components/topology.ts';
import { LiveApp } from '../../src/tui/live-app.ts';
import { checkView } from '../../src/tui/state/live-check.ts';
import { initialState, reduce } from '../../src/tui/state/run-view-state.ts';
import type { LiveFigures, RunEvent } from '../../src/events.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { outlierScenario, scriptedEnd, scriptedRun, T0 } from './fixtures.ts';
import { assertFits, frameLines, frameOf, stateAfter } from './helpers.ts';

afterEach(() => cleanup());

const lastLines = (el: Parameters<typeof render>[0]) => frameLines(render(el).lastFrame());

describe('Topology', () => {
  it('with room, a row per instance with its state word, and edges with rps, retries, error % (tries) and p99', () => {
    const state = stateAfter(scriptedRun(6));
    const out = lastLines(h(Topology, { state, width: 80, height: topologyWants(state).expanded, selected: null, color: false }));
    const row = (re: RegExp) => out.find((l) => re.test(l)) ?? assert.fail(`no row matching ${re} in\n${out.join('\n')}`);
    assert.match(row(/payments-1/), /⊘ payments-1 ejected 5\.4s/);
    assert.match(row(/payments-0/), /✔ payments-0 healthy\s+67\s+0\.0%\s+8\.0ms$/);
    assert.match(row(/client → gateway/), /200\s+0\.0%\s+13\.0ms$/);
    // The caller saw no errors; a third of the tries failed; 5 retries hid them.
    assert.match(row(/→ payments/), /200 \(\+5 retry\)\s+0\.0% \(32\.7%!!\)\s+9\.0ms$/);
    assert.match(row(/^\s+payments\s/), /205\s+32\.7%!!\s+8\.0ms$/);
    assert.match(out[0], /TOPOLOGY\s+RPS \(\+retry\)\s+ERR% \(tries\)\s+P99/);
  });

  it('edges say how their last second travelled (mTLS, plain, or a share) and show denials and failed handshakes', () => {
    const live: RunEvent = {
      type: 'live-stats',
      at: T0 + 7000,
      second: 6,
      series: {
        'edge:client->gateway': { rps: 100, errorRate: 0, p99: 5, retries: 0, flags: {} },
        'edge:gateway->checkout': { rps: 100, errorRate: 0, p99: 5, retries: 0, flags: {}, mtls: 100 },
        'edge:checkout->payments': { rps: 100, errorRate: 0.1, p99: 5, retries: 0, flags: {}, mtls: 60, denied: 10, handshakeErrors: 3 },
        'instance:payments-0': { rps: 50, errorRate: 0, p99: 5, retries: 0, flags: {}, denied: 10, handshakeErrors: 3 },
      },
    };
    const state = stateAfter([...scriptedRun(6), live]);
    const out = lastLines(h(Topology, { state, width: 100, height: topologyWants(state).compact, selected: null, color: false }));
    const row = (re: RegExp) => out.find((l) => re.test(l)) ?? assert.fail(`no row matching ${re} in\n${out.join('\n')}`);
    assert.match(row(/client → gateway/), /gateway plain/);
    assert.match(row(/→ checkout/), /checkout mTLS\s/);
    assert.match(row(/→ payments/), /payments mTLS 60\.0% 10 denied 3 tls✗/);
    assert.match(row(/^\s+payments\s/), /payments 10 denied 3 tls✗/);
  });

  it('beside each edge, what its budgets refused over the run so far: rate limits and quotas (RL), deadlines run out (DE)', () => {
    const figures = (limited: number, de: number): LiveFigures => ({ rps: 50, errorRate: de / 50, p99: 9, retries: 0, flags: de ? { UT: de, DE: de } : {}, limited });
    const budgets: RunEvent[] = [7, 8].map((second) => ({
      type: 'live-stats',
      at: T0 + (second + 1) * 1000,
      second,
      series: { 'edge:client->gateway': figures(4, 0), 'edge:checkout->payments': figures(3, 2) },
    }));
    const state = stateAfter([...scriptedRun(6), ...budgets]);
    const out = lastLines(h(Topology, { state, width: 80, height: topologyWants(state).expanded, selected: null, color: false }));
    assert.match(out.find((l) => l.includes('client → gateway')) ?? '', /client → gateway.* RL 8\s/);
    assert.match(out.find((l) => l.includes('→ payments')) ?? '', /→ payments.* RL 6 DE 4\s/);
    assert.doesNotMatch(out.find((l) => l.includes('→ checkout')) ?? '', /RL|DE/);
  });

  it('when short of rows, instances are badges on their service row (not healthy ones named with their state)', () => {
    const state = stateAfter(scriptedRun(6));
    const out = lastLines(h(Topology, { state, width: 80, height: topologyWants(state).compact, selected: 'service:payments', color: false }));
    assert.equal(out.length, topologyWants(state).compact);
    assert.match(out.find((l) => l.includes('▸')) ?? '', /▸ payments ✔×2 ⊘payments-1 ejected/);
    assert.match(out.find((l) => l.includes('checkout ✔')) ?? '', /checkout ✔checkout-0\s+200/);
  });

  it('before live figures arrive, figures are dots; instances still starting say so', () => {
    const state = stateAfter([]);
    const out = lastLines(h(Topology, { state, width: 80, height: 20, selected: null, color: false }));
    assert.match(out.find((l) => l.includes('payments-2')) ?? '', /○ payments-2 starting\s+·\s+·\s+·$/);
  });

  it('scrolls to keep the selection in sight when even the badges do not fit', () => {
    const state = stateAfter(scriptedRun(6));
    const out = lastLines(h(Topology, { state, width: 80, height: 4, selected: 'service:payments', color: false }));
    assert.equal(out.length, 4);
    assert.ok(out.some((l) => l.includes('▸ payments')), out.join('\n'));
    assert.match(out[3], /… \d+ above/);
  });

  it('a narrow terminal keeps one figure per column', () => {
    const state = stateAfter(scriptedRun(6));
    const out = lastLines(h(Topology, { state, width: 60, height: 12, selected: null, color: false }));
    assert.match(out[0], /TOPOLOGY\s+RPS\s+ERR%\s+P99$/);
    assert.match(out.find((l) => l.includes('→ payments')) ?? '', /200\s+0\.0%\s+9\.0ms$/);
    for (const l of out) assert.ok(l.length <= 60);
  });
});

describe('Checklist', () => {
  it('held / broken with the measured value, and a tally', () => {
    const sc = outlierScenario();
    const state = [...scriptedRun(30), ...scriptedEnd(sc)].reduce((s, e) => reduce(s, e), stateAfter([]));
    const items = state.checklist.map((c) => checkView(state, c));
    const out = lastLines(h(Checklist, { items, width: 80, height: 10, color: false }));
    assert.match(out[0], /^EXPECTATIONS {2}4 held · 1 broken/);
    assert.match(out[1], /^✔ held\s+success_rate\(client\) >= 99\.5%\s+100%$/);
    assert.match(out[3], /^✘ broken\s+p99\(client\) < 250ms\s+312ms$/);
  });

  it('live: holding with the value so far, pending until its window opens; the rest counted when short of rows', () => {
    const state = stateAfter(scriptedRun(3));
    const items = state.checklist.map((c) => checkView(state, c));
    const out = lastLines(h(Checklist, { items, width: 80, height: 4, color: false }));
    assert.equal(out.length, 4);
    assert.match(out[1], /^◐ holding\s+success_rate\(client\) >= 99\.5%\s+100%$/);
    assert.match(out[3], /… 3 more: 1 holding · 2 pending/);
  });

  it('on a wide pane the explanation follows', () => {
    const sc = outlierScenario();
    const state = [...scriptedRun(30), ...scriptedEnd(sc)].reduce((s, e) => reduce(s, e), stateAfter([]));
    const items = state.checklist.map((c) => checkView(state, c));
    const out = lastLines(h(Checklist, { items, width: 130, height: 10, color: false }));
    assert.match(out[3], /312ms {2}p99\(client\) was 312ms over 0s–30s; needed < 250ms/);
  });
});

describe('FaultTimeline', () => {
  it('one row per fault on the load’s time axis: active with how long, next with when', () => {
    const state = stateAfter(scriptedRun(6));
    const out = lastLines(h(FaultTimeline, { state, width: 80, height: 4, color: false }));
    assert.match(out[0], /^FAULTS {2}now 6\.0s {2}next p2-slow checkout -> payments-2 in 2\.0s/);
    assert.match(out[1], /^● p1-errors .*█.* active 1\.0s\/15s$/);
    assert.match(out[2], /^○ p2-slow .* at 8s \(in 2\.0s\)$/);
  });

  it('with one row, a summary: the active fault with a progress bar, and the next', () => {
    const state = stateAfter(scriptedRun(9));
    const out = lastLines(h(FaultTimeline, { state, width: 80, height: 1, color: false }));
    assert.equal(out.length, 1);
    assert.match(out[0], /^FAULTS ● p1-errors payments-1 4\.0s\/15s █*░* {2}● p2-slow/);
  });

  it('what each fault does, when the pane is wide', () => {
    const state = stateAfter(scriptedRun(6));
    const out = lastLines(h(FaultTimeline, { state, width: 120, height: 4, color: false }));
    assert.match(out[1], /payments-1: abort 503 \(100%\)/);
    assert.match(out[3], /payments-0: kill, restart after 4s/);
  });
});

describe('EventLog', () => {
  it('the newest lines that fit, in plain words with the cause, the reporting sidecar named', () => {
    const state = stateAfter(scriptedRun(6));
    const out = lastLines(h(EventLog, { state, width: 140, height: 3, color: false }));
    assert.match(out[0], /^EVENTS {2}last 2 of 5/);
    assert.match(out[1], /^ {3}5\.0s fault p1-errors started: payments-1 inbound answers 503 to 100% of requests$/);
    assert.match(out[2], /^ {3}5\.4s payments-1 ejected: 5 consecutive 5xx \(last 503\), outlierDetection\.consecutive5xx = 5; for 10s \(ejection 1\) {2}‹checkout-0›$/);
  });
});

describe('Header', () => {
  it('the run, its phase and progress; the client this second', () => {
    const state = stateAfter(scriptedRun(6));
    const out = lastLines(h(Header, { state, width: 80, quitting: false, color: false }));
    assert.match(out[0], /payments-outlier-ejection {2}● load {2}6\.0s\/30\.0s █+░+ {2}20% {2}\? help {2}q quit$/);
    assert.match(out[1], /^client 200 rps {2}ok 100% {2}p99 19\.0ms .* 1200 req · 0 failed · 0 dropped$/, `at 80 columns the lateness gives way: ${out[1]}`);
    const wide = lastLines(h(Header, { state, width: 120, quitting: false, color: false }));
    assert.match(wide[1], /^client 200 rps {2}ok 100% {2}p99 19\.0ms .* 1200 req · 0 failed · 0 dropped · late ≤0\.40ms$/);
  });

  it('drops are shown whenever there are any', () => {
    const state = stateAfter([...scriptedRun(3), { type: 'tick', at: T0 + 4020, second: 3, rps: 150, ok: 150, errors: 0, p99: 900, sent: 150, dropped: 50, latenessMaxMs: 0.5 }]);
    const out = lastLines(h(Header, { state, width: 72, quitting: false, color: false }));
    assert.match(out[1], /750 req · 0 failed · 50 dropped$/);
  });

  it('says when the run is being stopped, and how it ended', () => {
    const state = stateAfter(scriptedRun(2));
    assert.match(lastLines(h(Header, { state, width: 80, quitting: true, color: false }))[0], /■ stopping: cleaning up…/);
    const done = reduce(state, { type: 'run-finished', at: T0 + 3000, passed: true, reportDir: null });
    assert.match(lastLines(h(Header, { state: done, width: 80, quitting: false, color: false }))[0], /✔ passed/);
  });
});

describe('Details', () => {
  it('an ejected instance: by whom, why, its figures and the events about it', () => {
    const state = stateAfter(scriptedRun(7));
    const out = lastLines(h(Details, { state, selected: 'instance:payments-1', width: 100, height: 12, color: false }));
    assert.match(out[0], /^DETAILS payments-1 \(payments\) ⊘ ejected since 5\.4s/);
    assert.match(out[1], /^ejected {2}by checkout-0 \(callers: checkout\)/);
    assert.match(out[2], /^why {6}payments-1 ejected: 5 consecutive 5xx/);
    assert.ok(out.some((l) => /^now {6}0 rps/.test(l)), out.join('\n'));
    assert.ok(out.some((l) => /^history {2}rps /.test(l)));
    assert.ok(out.some((l) => /^tries {4}from checkout: 0\/s/.test(l)), out.join('\n'));
  });

  it('a service: its policy in plain words, its instances and edges', () => {
    const state = stateAfter(scriptedRun(6));
    const out = lastLines(h(Details, { state, selected: 'service:payments', width: 100, height: 20, color: false }));
    assert.match(out[0], /^DETAILS payments · 3 instances · called by checkout/);
    assert.ok(out.some((l) => /^policy {3}timeout 600ms · retries 2 × 150ms per try on 5xx,reset,connect-failure, budget 20%/.test(l)), out.join('\n'));
    assert.ok(out.some((l) => /⊘ ejected\s+payments-1/.test(l)));
    assert.ok(out.some((l) => /^edge {5}checkout → payments {2}200 rps \(\+5 retry\) {2}err 0\.0% {2}tries 205 rps, 32\.7% failed/.test(l)), out.join('\n'));
  });
});

describe('Help', () => {
  it('lists the keys and what the marks mean', () => {
    const out = lastLines(h(Help, { width: 80, height: 20, color: false })).join('\n');
    for (const re of [/\?\s+show \/ hide this help/, /q {2}ctrl-c\s+stop the run/, /↑ ↓/, /⊘ ejected/, /✘ broken/, /\(\+5 retry\)/]) assert.match(out, re);
  });
});

describe('LiveApp layout', () => {
  const sizes: [number, number][] = [
    [80, 24],
    [100, 30],
    [140, 40],
    [60, 16],
    [40, 10],
  ];
  for (const [columns, rows] of sizes) {
    it(`fits ${columns}×${rows} at every step of a run`, () => {
      const events = [...scriptedRun(30), ...scriptedEnd(outlierScenario())];
      for (const n of [0, 8, 20, events.length]) assertFits(frameOf(stateAfter(events.slice(0, n)), columns, rows), columns, rows);
    });
  }

  it('80×24: topology, faults, expectations and events, and no more than 24 lines', () => {
    const lines = frameLines(frameOf(stateAfter(scriptedRun(6)), 80, 24));
    assert.equal(lines.length, 24, lines.join('\n'));
    const text = lines.join('\n');
    for (const re of [/^TOPOLOGY/m, /^FAULTS/m, /^EXPECTATIONS/m, /^EVENTS/m, /⊘payments-1 ejected/]) assert.match(text, re);
  });

  it('a wider, taller terminal shows more: a row per instance, the details, more of the log', () => {
    const state = stateAfter(scriptedRun(12));
    const small = frameLines(frameOf(state, 80, 24)).join('\n');
    const big = frameLines(frameOf(state, 140, 40)).join('\n');
    assert.doesNotMatch(small, /^DETAILS/m);
    assert.match(big, /DETAILS gateway/);
    assert.match(big, /⊘ payments-1 ejected 5\.4s/);
    assert.doesNotMatch(small, /run abc123 starting/);
    assert.match(big, /run abc123 starting/);
  });

  it('a terminal too small says so instead of drawing a broken screen', () => {
    const lines = frameLines(frameOf(stateAfter(scriptedRun(2)), 38, 8));
    assert.match(lines.join('\n'), /too small: the live view needs\s+at least 40×10/);
  });
});

describe('LiveApp with ink-testing-library', () => {
  it('renders at 80×24 with no line wider than 80', () => {
    const { lastFrame } = render(h(LiveApp, { state: stateAfter(scriptedRun(6)), columns: 80, rows: 24, color: false, onQuit: () => {} }));
    assertFits(lastFrame(), 80, 24);
    assert.match(lastFrame() ?? '', /⊘payments-1 ejected/);
  });
});

describe('Topology at the edges of the mesh', () => {
  const yaml = `version: 1
name: edges
description: a gateway in front, an egress gateway and externals behind
duration: 10s
services:
  checkout: { calls: [card-api, maps] }
gateways:
  edge:
    kind: ingress
    replicas: 2
    routes: [{ match: { path: { prefix: /shop } }, to: checkout }]
  out: { kind: egress }
external:
  card-api: {}
  maps: { registered: false }
mesh: { outboundTrafficPolicy: REGISTRY_ONLY }
load: { target: edge, rate: 100/s }
expect: ["success_rate(client) >= 99%"]
`;
  const fig = (rps: number, flags: Record<string, number> = {}) => ({ rps, errorRate: 0, p99: 5, retries: 0, flags });

  it('the gateway at the entry (with its no-route count), the services, then the egress gateway, the externals and BlackHoleCluster at the exit', () => {
    const parsed = parseScenario(yaml, 'edges.yaml');
    assert.deepEqual(parsed.issues, []);
    const state = [
      { type: 'load-started', at: T0, t0: T0, rate: 100, connections: 10, durationMs: 10_000 },
      {
        type: 'live-stats',
        at: T0 + 1000,
        second: 0,
        series: {
          'edge:client->edge': fig(100),
          'instance:edge-0': fig(50, { NR: 7 }),
          'instance:edge-1': fig(50, { NR: 5 }),
          'edge:edge->checkout': fig(88),
          'edge:checkout->card-api': fig(88),
          'edge:checkout->maps': fig(88),
          'edge:checkout->BlackHoleCluster': fig(88),
          'upstream:out->card-api-0': fig(88),
        },
      },
    ].reduce((s, e) => reduce(s, e as never), initialState(parsed.scenario!));
    const out = lastLines(h(Topology, { state, width: 100, height: topologyWants(state).expanded, selected: null, color: false }));
    const at = (re: RegExp) => out.findIndex((l) => re.test(l));
    assert.match(out[at(/^\s+edge\s/)], /edge\s+gateway NR 12\/s\s+100\b/);
    assert.match(out[at(/card-api\s+external/)], /card-api\s+external\s+88\b/, 'an external is seen through the tries sent to it');
    assert.match(out[at(/→ BlackHoleCluster/)], /88\s+0\.0%/);
    // In the order traffic meets them.
    const order = [/client → edge/, /^\s+edge\s/, /^\s+checkout\s/, /→ BlackHoleCluster/, /^\s+out\s+egress/, /card-api\s+external/, /maps\s+external/].map(at);
    assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1])), `order ${order.join(',')} in\n${out.join('\n')}`);
  });
});
