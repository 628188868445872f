import { describeMeshEvent, type Describer } from '../contract/describe-mesh-event.ts';
import type { ReportOptions, RunResult } from './run-result.ts';
import type { Verdict } from '../verdict/verdict.ts';
import { formatDuration, formatWindow } from '../util/format.ts';
import { decidingEventLine, measuredText } from './describe.ts';

/**
The run as JUnit XML, in the shape GitHub (test reporters), GitLab (`artifacts:reports:junit`) and
Jenkins (`junit`) read: one `<testsuite>` named after the scenario, one `<testcase>` per expectation
(its sentence as written), a `<failure type="expectation-failed">` for each that failed or had no
data, a `<skipped>` for each that was inconclusive (with why), and a `<testcase name="run">` with an `<error>` when the run could not complete.

A testcase's `time` is the length of the window it was measured over; the suite's `time` is the
run's wall-clock duration.
*/
export function renderJUnit(result: RunResult, options: ReportOptions = {}): string {
  return renderJUnitSuites([result], options);
}

/** Several runs (one scenario each) in one JUnit file: a `<testsuite>` per scenario, in order. */
export function renderJUnitSuites(results: readonly RunResult[], options: ReportOptions = {}): string {
  const describe = options.describe ?? describeMeshEvent;
  const suites = results.map((r) => suite(r, describe));
  const sum = (k: 'tests' | 'failures' | 'errors') => suites.reduce((a, s) => a + s[k], 0);
  const time = results.reduce((a, r) => a + wallMs(r), 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="meshproof" tests="${sum('tests')}" failures="${sum('failures')}" errors="${sum('errors')}" time="${seconds(time)}">`,
    ...suites.flatMap((s) => s.lines),
    '</testsuites>',
    '',
  ].join('\n');
}

function suite(result: RunResult, describe: Describer): { tests: number; failures: number; errors: number; lines: string[] } {
  const { scenario, verdicts } = result;
  const classname = `meshproof.${scenario.name}`;
  const failures = verdicts.filter((v) => v.status !== 'held' && v.status !== 'inconclusive').length;
  const skipped = verdicts.filter((v) => v.status === 'inconclusive').length;
  const errors = result.error ? 1 : 0;
  const tests = verdicts.length + errors;
  const time = seconds(wallMs(result));

  const properties: [string, string][] = [
    ['seed', String(scenario.seed)],
    ['runtime', result.runtime],
    ['duration', formatDuration(scenario.durationMs)],
    ['scenario', scenario.source.file],
    ['runId', result.runId],
    ['meshproofVersion', result.meshproofVersion],
  ];

  const lines: string[] = [
    `  <testsuite name="${attr(scenario.name)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}" timestamp="${attr(timestamp(result.startedAt))}">`,
    '    <properties>',
    ...properties.map(([name, value]) => `      <property name="${attr(name)}" value="${attr(value)}"/>`),
    '    </properties>',
  ];

  for (const v of verdicts) {
    const open = `    <testcase name="${attr(v.expectation.text)}" classname="${attr(classname)}" time="${seconds(v.window.toMs - v.window.fromMs)}"`;
    if (v.status === 'held') {
      lines.push(`${open}/>`);
      continue;
    }
    // Not judged: a CI page shows it skipped, with why (meshproof's exit code is 3).
    if (v.status === 'inconclusive') {
      lines.push(`${open}>`, `      <skipped message="${attr(v.explanation)}">${text(failureBody(v, describe))}</skipped>`, '    </testcase>');
      continue;
    }
    lines.push(
      `${open}>`,
      `      <failure message="${attr(v.explanation)}" type="expectation-failed">${text(failureBody(v, describe))}</failure>`,
      '    </testcase>',
    );
  }

  if (result.error) {
    lines.push(
      `    <testcase name="run" classname="${attr(classname)}" time="${time}">`,
      `      <error message="${attr(firstLine(result.error))}" type="run-error">${text(result.error)}</error>`,
      '    </testcase>',
    );
  }
  lines.push('  </testsuite>');
  return { tests, failures, errors, lines };
}

function wallMs(result: RunResult): number {
  const ms = Date.parse(result.finishedAt) - Date.parse(result.startedAt);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** What a CI page shows under a failed testcase: the sentence, then every number behind it. */
function failureBody(v: Verdict, describe: Describer): string {
  const measured = measuredText(v) ?? 'no data';
  const lines = [
    v.explanation,
    '',
    `status: ${v.status}`,
    `measured: ${measured}`,
    `window: ${v.window.toMs === v.window.fromMs && v.expectation.kind === 'state' ? `at ${formatDuration(v.window.fromMs)}` : formatWindow(v.window)}`,
    `expectation: ${v.expectation.text} (line ${v.expectation.line}, column ${v.expectation.col})`,
    'evidence:',
    ...Object.entries(v.evidence).map(([k, n]) => `  ${k}: ${n}`),
  ];
  if (v.events?.length) lines.push('events:', ...v.events.map((d) => decidingEventLine(d, describe)).map((e) => `  ${formatDuration(e.atMs)} ${e.instance} ${e.type}: ${e.message}`));
  return lines.join('\n');
}

function seconds(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? (ms / 1000).toFixed(3) : '0.000';
}

/** JUnit's timestamp is ISO 8601 without a zone designator (the XSD's xs:dateTime as Jenkins reads it). */
function timestamp(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace(/\.\d+Z$/, '').replace(/Z$/, '');
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0];
}

/** Characters XML 1.0 does not allow at all (C0 controls other than tab, LF, CR; lone surrogates; U+FFFE/F). */
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes character data: `&`, `<`, and `>` (so a `]]>` in a message cannot end anything). */
export function escapeXmlText(s: string): string {
  return s.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes an attribute value; newlines and tabs become character references so parsers keep them. */
export function escapeXmlAttr(s: string): string {
  return escapeXmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

const attr = escapeXmlAttr;
const text = escapeXmlText;
