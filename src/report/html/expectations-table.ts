import type { Describer } from '../../contract/describe-mesh-event.ts';
import type { Verdict } from '../../verdict/verdict.ts';
import { decidingEventLine, measuredText } from '../describe.ts';
import { formatDuration, formatWindow } from '../../util/format.ts';
import { escapeHtml } from './escape.ts';

const STATUS: Record<Verdict['status'], { mark: string; word: string }> = {
  held: { mark: '✔', word: 'held' },
  failed: { mark: '✘', word: 'failed' },
  no_data: { mark: '⚠', word: 'no data' },
  inconclusive: { mark: '?', word: 'inconclusive' },
};

/**
The expectations as an HTML table: verdict, the sentence (with its line in the scenario), the
measured value, the window evaluated, and the evidence — the explanation, the numbers behind it and
the events that decided it. Failures come first open; held ones keep their evidence one click away.
*/
export function expectationsTable(verdicts: readonly Verdict[], scenarioFile: string, describe: Describer): string {
  const rows = verdicts.map((v) => {
    const s = STATUS[v.status];
    const e = v.expectation;
    const window = v.window.toMs === v.window.fromMs ? `at ${formatDuration(v.window.fromMs)}` : formatWindow(v.window);
    const numbers = Object.entries(v.evidence ?? {})
      .map(([k, n]) => `<span class="chip"><span class="k">${escapeHtml(k.replace(/_/g, ' '))}</span> ${escapeHtml(formatNumber(n))}</span>`)
      .join('');
    const events = (v.events ?? []).slice(0, 8).map((d) => decidingEventLine(d, describe)).map(
      (ev) => `<li><span class="t">${escapeHtml(formatDuration(ev.atMs))}</span> <span class="who">${escapeHtml(ev.instance)}</span> <code>${escapeHtml(ev.type)}</code> ${escapeHtml(ev.message)}</li>`,
    );
    const more = (v.events?.length ?? 0) > 8 ? `<li class="more">and ${v.events!.length - 8} more</li>` : '';
    const details =
      numbers || events.length
        ? `<details${v.status === 'held' ? '' : ' open'}><summary>evidence</summary>${numbers ? `<div class="chips">${numbers}</div>` : ''}${events.length ? `<ol class="decisive">${events.join('')}${more}</ol>` : ''}</details>`
        : '';
    return (
      `<tr class="verdict ${v.status.replace('_', '-')}" data-status="${v.status}" data-expectation="${escapeHtml(e.text)}">` +
      `<td class="status"><span class="pill ${v.status.replace('_', '-')}">${s.mark} ${s.word}</span></td>` +
      `<td class="expectation"><code>${escapeHtml(e.text)}</code><div class="where">${escapeHtml(scenarioFile)}:${e.line}:${e.col}</div></td>` +
      `<td class="measured">${escapeHtml(measuredText(v) ?? '—')}</td>` +
      `<td class="window">${escapeHtml(window)}</td>` +
      `<td class="evidence"><p>${escapeHtml(v.explanation)}</p>${details}</td>` +
      `</tr>`
    );
  });
  return (
    `<table class="expectations"><thead><tr><th>Verdict</th><th>Expectation</th><th class="measured">Measured</th><th>Window</th><th>Evidence</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function formatNumber(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return 'n/a';
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}
