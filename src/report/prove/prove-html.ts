import { escapeHtml } from '../html/escape.ts';
import { STYLES } from '../html/styles.ts';
import type { Cell, ProveMatrix } from './prove-matrix.ts';
import { proveLines } from './prove-lines.ts';

const PILL: Record<Cell, string> = { holds: '<span class="pill held">✔ holds</span>', fails: '<span class="pill failed">✘ fails</span>', inconclusive: '<span class="pill no-data">? inconclusive</span>' };

/**
A proof as one self-contained page (the prove folder's report.html): the matrix, the findings, and
links to each run's own report. Inline CSS only, as report.html: it opens offline and from a CI artefact.
*/
export function renderProveHtml(m: ProveMatrix, options: { exitCode?: number; runFolder?: (reportDir: string) => string } = {}): string {
  const l = proveLines(m);
  const e = escapeHtml;
  const body: string[] = [];
  body.push(`<header><h1><span>prove ${e(m.scenario.name)}</span><span class="muted" style="font-size:14px;font-weight:400">${m.rows.length} ${m.rows.length === 1 ? 'policy' : 'policies'}, ${m.runs.length} runs${options.exitCode !== undefined ? `, exit ${options.exitCode}` : ''}</span></h1>`);
  body.push(`<p class="description">Each policy of <code>${e(m.scenario.file)}</code> taken out in turn (the profile's default in its place), run one after another.</p></header>`);
  const head = m.expectations.map((x, i) => `<th title="${e(x)}">[${i + 1}] <code>${e(x)}</code></th>`).join('');
  const rows = l.rows.map((r) => `<tr><td><code>${e(r.label)}</code><div class="muted">${e(r.detail)}</div></td>${r.cells.map((c) => `<td>${PILL[c]}</td>`).join('')}</tr>`).join('\n');
  body.push(`<section id="matrix"><h2>Policy × expectation</h2><table><thead><tr><th>Run</th>${head}</tr></thead><tbody>\n${rows}\n</tbody></table></section>`);
  const section = (title: string, items: string[]) => (items.length ? `<section><h2>${e(title)}</h2><ul>${items.map((s) => `<li>${e(s)}</li>`).join('')}</ul></section>` : '');
  if (m.baseline.some((c) => c !== 'holds')) body.push('<div class="alert">The baseline did not hold every expectation: what it failed, no policy can be shown to carry.</div>');
  body.push(section('Load-bearing', l.loadBearing), section('Nothing here tests it', l.untested), section('Undecided', l.undecided), section('Tests nothing the mesh does', l.testsNothing));
  const runs = m.runs
    .map((r) => {
      const folder = r.reportDir ? (options.runFolder ? options.runFolder(r.reportDir) : r.reportDir) : null;
      const link = folder ? `<a href="${e(folder)}/report.html"><code>${e(folder)}</code></a>` : '—';
      return `<tr><td><code>${e(r.id)}</code></td><td>${e(r.error ? `${r.outcome}: ${r.error.split('\n')[0]}` : r.outcome)}</td><td>${link}</td></tr>`;
    })
    .join('');
  body.push(`<section id="runs"><h2>Runs</h2><table><thead><tr><th>Run</th><th>Outcome</th><th>Report</th></tr></thead><tbody>${runs}</tbody></table></section>`);
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
    `<title>prove ${e(m.scenario.name)} — meshproof</title><style>${STYLES}</style></head>\n<body><main>\n${body.filter(Boolean).join('\n')}\n</main></body></html>\n`
  );
}
