import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'vitest';
import { createProgressPrinter } from '../../src/api/progress-printer.ts';
import { describeMeshEvent, type Describer } from '../../src/contract/describe-mesh-event.ts';
import { fromRecord, MESH_EVENT_TYPES, SETUP_EVENT_TYPES, type MeshEvent, type MeshEventRecord } from '../../src/contract/mesh-event.ts';
import type { RunEvent } from '../../src/events.ts';
import { escapeHtml } from '../../src/report/html/escape.ts';
import { renderHtml } from '../../src/report/html/render-html.ts';
import { escapeXmlText, renderJUnit } from '../../src/report/junit.ts';
import { inline, renderMarkdown } from '../../src/report/markdown.ts';
import type { RunResult } from '../../src/report/run-result.ts';
import { checkView } from '../../src/tui/state/live-check.ts';
import { initialState, reducer, type RunViewState } from '../../src/tui/state/run-view-state.ts';
import { evaluateExpectations } from '../../src/verdict/evaluate.ts';
import type { RunFacts } from '../../src/verdict/verdict.ts';
import { endpoint, policy, retries, sidecarConfig, UNLIMITED } from '../sim/helpers/config.ts';
import { getJson, send } from '../sim/helpers/http.ts';
import { refusedPort, startSlowServer, startStatusServer } from '../sim/helpers/servers.ts';
import type { GlobalRateLimit } from '../../src/contract/rate-limit-service.ts';
import { closing, startSidecar, waitForEvent } from '../sim/helpers/sidecar.ts';
import { CertificateAuthority } from '../../src/security/certificate-authority.ts';
import { spiffeId } from '../../src/contract/spiffe.ts';
import type { SidecarSecurity } from '../../src/contract/sidecar-config.ts';

/**
The words of a mesh event are for people only: rewording every one of them changes no verdict, no
live-view state and no report evidence, only the words where they are shown. The events are real:
recorded from a run of fixtures/every-event.yaml by real sidecar processes (re-record it with
fixtures/record-every-event.ts), and, for the kinds that run does not produce, emitted by a real
sidecar here.
*/

const recorded = JSON.parse(readFileSync(new URL('./fixtures/recorded-run.json', import.meta.url), 'utf8')) as { result: RunResult; events: RunEvent[] };
const { result } = recorded;
const meshEvents: MeshEvent[] = [...result.events, ...recorded.events.flatMap((e) => (e.type === 'sidecar-event' ? [e.event] : []))];

/** Backwards, letters rotated by 13, digits made superscripts: no word of the original survives, and different sentences stay different. */
function scramble(s: string): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return [...s]
    .reverse()
    .map((c) => {
      const i = letters.indexOf(c.toLowerCase());
      if (i >= 0) return c === c.toLowerCase() ? letters[(i + 13) % 26] : letters[(i + 13) % 26].toUpperCase();
      return /\d/.test(c) ? '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(c)] : c;
    })
    .join('');
}

/** Two rewordings: every sentence garbled (distinct sentences stay distinct), and one sentence for everything. */
const REWORDINGS: Record<string, Describer> = {
  garbled: (e) => `«${scramble(describeMeshEvent(e))}»`,
  'one sentence for all': () => 'nothing to say',
};

/** Replaces the words `describe` gives any of `events` (as they are, and as HTML, Markdown and XML escape them) with one marker. */
function eraser(describe: Describer, events: readonly MeshEvent[]): (s: string) => string {
  const words = [...new Set(events.map(describe))];
  const forms = [...new Set(words.flatMap((w) => [w, escapeHtml(w), inline(w), escapeXmlText(w)]))].sort((a, b) => b.length - a.length);
  return (s) => forms.reduce((text, form) => text.split(form).join('⟨words⟩'), s);
}

/** `x` with every string erased, deeply. */
function erased(x: unknown, erase: (s: string) => string): unknown {
  if (typeof x === 'string') return erase(x);
  if (Array.isArray(x)) return x.map((v) => erased(v, erase));
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, erased(v, erase)]));
  return x;
}

/** As JSON would carry it (a no-data verdict's NaN becomes null, as in result.json). */
function plain<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

function facts(events: MeshEvent[]): RunFacts {
  return { t0: result.timeline.t0, faults: result.faults, events, states: result.states };
}

function replay(describe: Describer, events: readonly RunEvent[] = recorded.events): RunViewState {
  const reduce = reducer(describe);
  return events.reduce((s, e) => reduce(s, e), initialState(result.scenario));
}

/** The live view's state and the checklist it shows. */
function liveView(describe: Describer, events?: readonly RunEvent[]): unknown {
  const state = replay(describe, events);
  return { state, checks: state.checklist.map((c) => checkView(state, c)) };
}

/** A mesh event the reports and the live view show (not setup chatter), of a type. */
function shown(type: MeshEvent['type']): MeshEvent {
  const e = result.events.find((x) => x.type === type && !SETUP_EVENT_TYPES.has(x.type));
  assert.ok(e, `the recorded run has a ${type} event`);
  return e;
}

describe('mesh events reworded: nothing but the words changes', () => {
  test('the recorded run is one to learn from: ejections, health checks, panic, overflows and faults, decided by event-reading expectations', () => {
    const types = new Set(result.events.map((e) => e.type));
    for (const t of ['ejected', 'unejected', 'ejection-skipped', 'health-check-failed', 'health-check-passed', 'panic', 'panic-ended', 'rate-limited', 'circuit-breaker-overflow', 'retry-budget-overflow', 'fault-applied', 'fault-cleared'] as const) {
      assert.ok(types.has(t), `recorded run has ${t}`);
    }
    const kinds = result.verdicts.map((v) => v.expectation.kind ?? 'metric');
    assert.ok(kinds.includes('ejected') && kinds.includes('state'), kinds.join(', '));
    assert.ok(result.verdicts.some((v) => v.events?.some((d) => 'event' in d)), 'some verdict was decided by mesh events');
  });

  test("verdicts: the run's own decisions come back from its events, whatever words travel with them", () => {
    const decided = plain(evaluateExpectations(result.scenario, result.timeline, facts(result.events)));
    assert.deepEqual(decided, plain(result.verdicts), 'the replay decides what the run decided');
    for (const describe of [describeMeshEvent, ...Object.values(REWORDINGS)]) {
      const records: MeshEventRecord[] = result.events.map((e) => ({ ...e, message: describe(e) }));
      // What the collector keeps of the admin stream...
      const collected = plain(records).map(fromRecord);
      assert.deepEqual(plain(evaluateExpectations(result.scenario, result.timeline, facts(collected))), decided);
      // ...and the words left on the events: still nothing reads them (a verdict keeps the events that decided it, words and all).
      const withWords = plain(evaluateExpectations(result.scenario, result.timeline, facts(records)));
      for (const v of withWords) if (v.events) v.events = v.events.map((d) => ('event' in d ? { ...d, event: fromRecord(d.event) } : d));
      assert.deepEqual(withWords, decided);
    }
  });

  test('the live view: the same state, instance by instance and line by line, but for the words', () => {
    const real = liveView(describeMeshEvent) as { state: RunViewState };
    const ejectedNow = Object.values(real.state.instances).filter((i) => i.history.some((h) => h.status === 'ejected'));
    assert.ok(ejectedNow.length > 0, 'the replay ejects an instance');
    const expected = erased(real, eraser(describeMeshEvent, meshEvents));
    for (const [name, describe] of Object.entries(REWORDINGS)) {
      const view = liveView(describe) as { state: RunViewState };
      assert.deepEqual(erased(view, eraser(describe, meshEvents)), expected, name);
      assert.ok(view.state.log.some((l) => l.text === describe(shown('ejected'))), `${name}: the log shows its words`);
    }
  });

  test('the reports: the same pages, figures and evidence, but for the words', () => {
    const render = (describe: Describer) => ({
      html: renderHtml(result, { describe }),
      markdown: renderMarkdown(result, { describe }),
      junit: renderJUnit(result, { describe }),
    });
    const expected = erased(render(describeMeshEvent), eraser(describeMeshEvent, meshEvents));
    for (const [name, describe] of Object.entries(REWORDINGS)) {
      const pages = render(describe);
      assert.deepEqual(erased(pages, eraser(describe, meshEvents)), expected, name);
      assert.ok(pages.html.includes(escapeHtml(describe(shown('rate-limited')))), `${name}: the event list shows its words`);
    }
  });

  test('plain progress lines: the same lines, but for the words', () => {
    const lines = (describe: Describer) => {
      const out: string[] = [];
      const print = createProgressPrinter((l) => out.push(l), { color: false, verbose: true, describe });
      for (const e of recorded.events) print(e);
      return out;
    };
    const expected = erased(lines(describeMeshEvent), eraser(describeMeshEvent, meshEvents));
    for (const [name, describe] of Object.entries(REWORDINGS)) assert.deepEqual(erased(lines(describe), eraser(describe, meshEvents)), expected, name);
  });

  test("a real sidecar serves its describer's words beside the event, and emits the kinds the recorded run has not", async (t) => {
    const describe = REWORDINGS.garbled;
    const failing = closing(t, await startStatusServer(503));
    const fine = closing(t, await startStatusServer(200));
    const restarted = closing(t, await startStatusServer(200));
    const slow = closing(t, await startSlowServer(300));
    // A rate-limit service that says OVER_LIMIT to everything (its 429), then one that is not there.
    const overLimit = closing(t, await startStatusServer(429));
    const quota = (port: number): GlobalRateLimit => ({ address: { host: '127.0.0.1', port }, domain: 'shop', timeoutMs: 1000, failureMode: 'allow', descriptors: [[{ kind: 'fixed', key: 'destination_cluster', value: 'checkout' }]] });
    const { sidecar, ports } = await startSidecar(t, { instance: 'checkout-0', service: 'checkout', describe });
    // A request into the pod over its quota, then one the missing rate-limit service cannot check
    // (no security yet: authorization would refuse them before the rate limits).
    sidecar.applyConfig(sidecarConfig({ version: 1, app: { host: '127.0.0.1', port: fine.port }, inbound: { rateLimit: null, fault: null, globalRateLimit: quota(overLimit.port) }, clusters: {} }));
    await send(ports.inbound, { host: 'checkout' });
    await waitForEvent(sidecar, 'quota-limited');
    sidecar.applyConfig(sidecarConfig({ version: 2, app: { host: '127.0.0.1', port: fine.port }, inbound: { rateLimit: null, fault: null, globalRateLimit: quota(await refusedPort()) }, clusters: {} }));
    await send(ports.inbound, { host: 'checkout' });
    await waitForEvent(sidecar, 'rate-limit-service-error');
    // Security: a certificate, then a renewal under a new root with a new mode; a plaintext
    // connection refused, a request an authorization policy denies.
    const ca = await CertificateAuthority.create({ trustDomain: 'cluster.local' });
    const security = async (mode: SidecarSecurity['mtls']): Promise<SidecarSecurity> => {
      const c = await ca.issue(spiffeId('cluster.local', 'checkout'), 3600_000);
      return {
        trustDomain: 'cluster.local',
        identity: { spiffeId: c.spiffeId, certChain: c.certChain, key: c.key, notBefore: c.notBefore, notAfter: c.notAfter, serial: c.serial, root: c.root },
        trustBundle: ca.trustBundle(),
        trustBundleRoots: ca.trustBundleFingerprints(),
        mtls: mode,
        authorization: [{ name: 'allow-nobody', action: 'ALLOW', rules: [] }],
        clockSkewMs: 0,
      };
    };
    const first = await security('PERMISSIVE');
    sidecar.applyConfig(
      sidecarConfig({
        version: 3,
        security: first,
        clusters: {
          payments: { policy: policy({ connectionPool: { ...UNLIMITED, maxRetries: 0 }, retries: retries() }), endpoints: [endpoint('payments-0', failing.port), endpoint('payments-1', fine.port)] },
          audit: { policy: policy(), endpoints: [endpoint('audit-0', slow.port)], bulkhead: 1 },
        },
      }),
    );
    // Round robin: one of two requests tries payments-0 first, gets 503, and its retry is refused (maxRetries 0).
    await send(ports.outbound, { host: 'payments' });
    await send(ports.outbound, { host: 'payments' });
    await waitForEvent(sidecar, 'retry-overflow');
    // Two at once through a bulkhead of one.
    await Promise.all([send(ports.outbound, { host: 'audit' }), send(ports.outbound, { host: 'audit' })]);
    await waitForEvent(sidecar, 'bulkhead-overflow');
    assert.equal((await send(ports.inbound, { host: 'checkout' })).status, 403);
    await waitForEvent(sidecar, 'authorization-denied');
    await ca.rotateRoot(false);
    const second = await security('STRICT');
    // payments-0 restarted at a new address, payments-1 gone, a new timeout; audit gone.
    sidecar.applyConfig(sidecarConfig({ version: 4, security: second, clusters: { payments: { policy: policy({ timeoutMs: 1000 }), endpoints: [endpoint('payments-0', restarted.port)] } } }));
    await send(ports.inbound, { host: 'checkout' }).catch(() => null);
    await waitForEvent(sidecar, 'handshake-failed');

    const emitted = sidecar.events(0);
    const { events: records } = await getJson<{ events: MeshEventRecord[] }>(ports.admin, '/events');
    assert.deepEqual(records.map(fromRecord), emitted, 'the stream carries the events as emitted');
    for (const r of records) assert.equal(r.message, describe(fromRecord(r)), `${r.type}: the words are the describer's`);

    const seen = new Set([...result.events, ...emitted].map((e) => e.type));
    assert.deepEqual(MESH_EVENT_TYPES.filter((type) => !seen.has(type)), [], 'every kind of mesh event is covered');

    // In the live view too: these events after the recorded run's, reworded or not.
    const more: RunEvent[] = emitted.map((event, i) => ({ type: 'sidecar-event', at: result.timeline.t0 + 13_000 + i, event: { ...event, at: result.timeline.t0 + 13_000 + i } }));
    const all = [...meshEvents, ...more.flatMap((e) => (e.type === 'sidecar-event' ? [e.event] : []))];
    assert.deepEqual(erased(liveView(describe, [...recorded.events, ...more]), eraser(describe, all)), erased(liveView(describeMeshEvent, [...recorded.events, ...more]), eraser(describeMeshEvent, all)));
  });
});
