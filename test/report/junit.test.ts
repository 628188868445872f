import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { renderJUnit, renderJUnitSuites, escapeXmlAttr, escapeXmlText } from '../../src/report/junit.ts';
import { all, parseXml } from './xml.ts';
import { exampleResult } from './helpers.ts';

describe('renderJUnit', () => {
  it('one testsuite named after the scenario, one testcase per expectation', () => {
    const doc = parseXml(renderJUnit(exampleResult()));
    assert.equal(doc.name, 'testsuites');
    assert.deepEqual({ tests: doc.attrs.tests, failures: doc.attrs.failures, errors: doc.attrs.errors }, { tests: '4', failures: '1', errors: '0' });
    const suites = all(doc, 'testsuite');
    assert.equal(suites.length, 1);
    assert.equal(suites[0].attrs.name, 'store-slow-replica');
    assert.equal(suites[0].attrs.tests, '4');
    assert.equal(suites[0].attrs.failures, '1');
    assert.equal(suites[0].attrs.time, '13.055');
    assert.equal(suites[0].attrs.timestamp, '2026-03-14T09:26:51');

    const cases = all(doc, 'testcase');
    assert.deepEqual(
      cases.map((c) => c.attrs.name),
      ['success_rate(client) >= 99%', 'p99(client) < 100ms between 2s and 8s', 'retry_ratio(front -> store) <= 20%', 'requests(front -> store-1) > 0 during s1-slow'],
    );
    for (const c of cases) assert.equal(c.attrs.classname, 'meshproof.store-slow-replica');
    assert.deepEqual(cases.map((c) => c.attrs.time), ['10.000', '6.000', '10.000', '3.000']);
  });

  it('properties: seed, runtime, duration', () => {
    const doc = parseXml(renderJUnit(exampleResult()));
    const props = Object.fromEntries(all(doc, 'property').map((p) => [p.attrs.name, p.attrs.value]));
    assert.equal(props.seed, '42');
    assert.equal(props.runtime, 'local');
    assert.equal(props.duration, '10s');
    assert.equal(props.scenario, 'scenarios/store-slow-replica.yaml');
  });

  it('a failed expectation has a failure with the explanation and the evidence', () => {
    const result = exampleResult();
    const doc = parseXml(renderJUnit(result));
    const failures = all(doc, 'failure');
    assert.equal(failures.length, 1);
    const f = failures[0];
    assert.equal(f.attrs.type, 'expectation-failed');
    assert.equal(f.attrs.message, result.verdicts[1].explanation);
    assert.match(f.attrs.message, /^p99\(client\) was \d+ms over 2s–8s; needed < 100ms/);
    assert.match(f.text, /^status: failed$/m);
    assert.match(f.text, /^window: 2s–8s$/m);
    assert.match(f.text, /^ {2}requests: 300$/m);
    assert.match(f.text, /^ {2}status_504: 3$/m);
    assert.match(f.text, /^ {2}p99: [\d.]+$/m);
    assert.equal(all(doc, 'error').length, 0);
  });

  it('no_data is a failure too', () => {
    const result = exampleResult();
    result.verdicts[0] = { ...result.verdicts[0], status: 'no_data', measured: NaN, explanation: 'nothing was measured for success_rate(client): the load generator completed no request in 0s–10s; needed >= 99%' };
    const doc = parseXml(renderJUnit(result));
    const failures = all(doc, 'failure');
    assert.equal(failures.length, 2);
    assert.match(failures[0].attrs.message, /^nothing was measured/);
    assert.match(failures[0].text, /^measured: no data$/m);
    assert.equal(doc.attrs.failures, '2');
  });

  it('a run that did not complete has a "run" testcase with an error', () => {
    const result = exampleResult();
    result.error = 'store-1 did not start within 15000ms\n  at the local runtime';
    const doc = parseXml(renderJUnit(result));
    const run = all(doc, 'testcase').find((c) => c.attrs.name === 'run');
    assert.ok(run);
    const err = all(run, 'error');
    assert.equal(err.length, 1);
    assert.equal(err[0].attrs.type, 'run-error');
    assert.equal(err[0].attrs.message, 'store-1 did not start within 15000ms');
    assert.equal(err[0].text, result.error);
    assert.equal(doc.attrs.errors, '1');
    assert.equal(doc.attrs.tests, '5');
  });

  it('escapes <, &, quotes and -> so that everything reads back as written', () => {
    const result = exampleResult();
    const nasty = `a<b & "c" 'd' -> e ]]> f\tg\u0001`;
    result.scenario.name = nasty;
    result.verdicts[1].expectation.text = `p99(front -> store) < 5ms & "quoted"`;
    result.verdicts[1].explanation = `x < y && z > w, "q" 'a' ]]>`;
    result.error = `boom <script>&amp; ]]>`;
    const xml = renderJUnit(result);
    assert.doesNotMatch(xml, /\u0001/);
    assert.doesNotMatch(xml, /]]>/);
    const doc = parseXml(xml);
    assert.equal(all(doc, 'testsuite')[0].attrs.name, nasty.replace('\u0001', '\uFFFD'));
    assert.equal(all(doc, 'testcase')[1].attrs.name, `p99(front -> store) < 5ms & "quoted"`);
    assert.equal(all(doc, 'testcase')[1].attrs.classname, `meshproof.${nasty.replace('\u0001', '\uFFFD')}`);
    assert.equal(all(doc, 'failure')[0].attrs.message, `x < y && z > w, "q" 'a' ]]>`);
    assert.equal(all(doc, 'error')[0].text, 'boom <script>&amp; ]]>');
  });

  it('escape helpers', () => {
    assert.equal(escapeXmlText('a < b && c -> d'), 'a &lt; b &amp;&amp; c -&gt; d');
    assert.equal(escapeXmlAttr(`"it's"\nnext`), '&quot;it&apos;s&quot;&#10;next');
  });

  it('several runs make several suites', () => {
    const a = exampleResult();
    const b = exampleResult();
    b.scenario.name = 'second';
    const doc = parseXml(renderJUnitSuites([a, b]));
    assert.deepEqual(all(doc, 'testsuite').map((s) => s.attrs.name), ['store-slow-replica', 'second']);
    assert.equal(doc.attrs.tests, '8');
    assert.equal(doc.attrs.failures, '2');
  });
});
