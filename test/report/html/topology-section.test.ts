import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { Bucket } from '../../../src/contract/series.ts';
import { emptyBucket } from '../../../src/observe/timeline.ts';
import { renderHtml } from '../../../src/report/html/render-html.ts';
import { topologySection } from '../../../src/report/html/topology-section.ts';
import type { RunResult } from '../../../src/report/run-result.ts';
import { exampleResult } from '../helpers.ts';

/** The example run behind an ingress gateway, with an external through the egress gateway and one the registry does not know, under REGISTRY_ONLY. */
function edgesResult(): RunResult {
  const r = exampleResult();
  const s = r.scenario;
  s.gateways = [
    { name: 'edge', kind: 'ingress', replicas: 2, routes: [{ hosts: ['*'], match: [], to: [{ service: 'front', weight: 1 }] }], tls: null, rateLimit: null },
    { name: 'out', kind: 'egress', replicas: 1, routes: [], tls: null, rateLimit: null },
  ];
  const front = s.services.find((x) => x.name === 'front')!;
  front.calls = [...front.calls, 'card-api', 'maps'];
  s.externals = [
    { ...front, name: 'card-api', calls: [], registered: true },
    { ...front, name: 'maps', calls: [], registered: false },
  ];
  s.outboundTrafficPolicy = 'REGISTRY_ONLY';
  s.load = { ...s.load, target: 'edge' };
  const n = r.timeline.seconds;
  const bucket = (requests: number, ok: number, flags: Record<string, number> = {}, retries = 0): Bucket => ({ ...emptyBucket(), requests, ok, flags, retries });
  const series = (b: Bucket) => Array.from({ length: n }, () => structuredClone(b));
  Object.assign(r.timeline.series, {
    'edge:client->edge': series(bucket(10, 10)),
    'instance:edge-0': series(bucket(6, 6, { NR: 2 })),
    'instance:edge-1': series(bucket(4, 4, { NR: 1 })),
    'edge:edge->front': series(bucket(7, 7)),
    'edge:front->card-api': series(bucket(7, 6, {}, 1)),
    'edge:front->maps': series(bucket(7, 0)),
    'edge:front->BlackHoleCluster': series(bucket(7, 0)),
    'edge:out->card-api': series(bucket(7, 6)),
    'upstream:out->card-api-0': series(bucket(8, 6)),
  });
  return r;
}

const row = (html: string, attr: string) => html.match(new RegExp(`<tr ${attr}>(.*?)</tr>`))?.[1].replace(/<[^>]+>/g, '|').replace(/\|+/g, '|') ?? assert.fail(`no row ${attr}`);

describe('the topology section of report.html', () => {
  it('the parts in the order traffic meets them, and every edge with its requests, failures, retries and no-route count, BlackHoleCluster included', () => {
    const r = edgesResult();
    const html = topologySection(r);
    const parts = [...html.matchAll(/data-part="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(parts, ['edge', 'front', 'store', 'out', 'card-api', 'maps']);
    const n = r.timeline.seconds;
    assert.equal(row(html, 'data-part="edge"'), `|edge|ingress gateway|2 instances|${10 * n}|0|${3 * n}|`);
    assert.equal(row(html, 'data-part="card-api"'), `|card-api|external service|1 instance|${8 * n}|${2 * n}|0|`, 'an external: the tries its callers sent it');
    const edges = [...html.matchAll(/data-edge="([^"]+)"/g)].map((m) => m[1].replace('-&gt;', '->'));
    assert.deepEqual(edges, ['client->edge', 'edge->front', 'front->store', 'front->card-api', 'front->maps', 'front->BlackHoleCluster', 'out->card-api']);
    assert.equal(row(html, 'data-edge="front-&gt;BlackHoleCluster"'), `|front → BlackHoleCluster|a host the mesh does not know|${7 * n}|${7 * n}|0|0|`);
    assert.equal(row(html, 'data-edge="front-&gt;card-api"'), `|front → card-api|leaves the mesh|${7 * n}|${n}|${n}|0|`);
    assert.match(renderHtml(r), /<section id="topology">/);
  });

  it('a mesh with nothing at its edges has no such section: its charts say it all', () => {
    assert.equal(topologySection(exampleResult()), '');
    assert.doesNotMatch(renderHtml(exampleResult()), /id="topology"/);
  });
});
