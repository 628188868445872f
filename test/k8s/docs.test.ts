// docs/import-export.md stays true: its mapping tables are generated from the importer's own tables.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { MAPPING_DOC, withMappingReference } from '../../src/k8s/mapping-reference.ts';

test('the mapping tables are current: run `npm run schema` after changing what the importer reads', () => {
  const doc = readFileSync(MAPPING_DOC, 'utf8');
  assert.equal(doc, withMappingReference(doc));
  assert.match(doc, /\| `spec\.trafficPolicy\.tls` \| `\(auto mTLS\)` — ISTIO_MUTUAL is what meshproof's callers do on their own/);
  assert.match(doc, /### Istio AuthorizationPolicy/);
  assert.match(doc, /\| `retry\.linkerd\.io\/limit` \| `retries\.attempts` — default 1 \|/);
});
