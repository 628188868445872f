import { createHash } from 'node:crypto';
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MeshproofError } from '../errors.ts';
import type { ReportOptions, RunResult } from './run-result.ts';
import { renderJUnit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { renderHtml } from './html/render-html.ts';
import { writeFiles } from './write-files.ts';

/**
Writes a run's reports into `dir` (created if missing): `result.json` (the RunResult as is),
`junit.xml`, `summary.md` and `report.html` (charts, offline). Returns the paths written, in that order. The only reporter that does
I/O; everything it writes comes from the pure renderers.

Note: JSON has no NaN, so a no-data verdict's `measured` reads back as null.
*/
export async function writeReports(result: RunResult, dir: string, options: ReportOptions = {}): Promise<string[]> {
  const files: [string, string][] = [
    ['result.json', JSON.stringify(result, null, 2) + '\n'],
    ['junit.xml', renderJUnit(result, options)],
    ['summary.md', renderMarkdown(result, options)],
    ['report.html', renderHtml(result, options)],
  ];
  return writeFiles(dir, files);
}

/**
Checks, before a run starts, that its report folder can be made under `reportsDir`: the parent is
created if missing, and a folder with a name as long as the run's is made and removed. A parent that
cannot be written, or a path too long for the file system, is then found before the run rather than
after it, when the reports would be lost. Throws MESHPROOF_REPORT_FAILED saying why.
*/
export async function checkReportsDir(reportsDir: string, scenario: { name: string }, now: Date): Promise<void> {
  const probe = join(reportsDir, `${reportDirName({ startedAt: now.toISOString(), scenario })}.${process.pid}.check`);
  try {
    await mkdir(reportsDir, { recursive: true });
    await mkdir(probe);
    await rmdir(probe);
  } catch (e) {
    throw new MeshproofError('MESHPROOF_REPORT_FAILED', `cannot write reports under ${reportsDir}: ${(e as Error).message}; nothing was started (use --reports <dir>, or --no-report)`, { cause: e });
  }
}

/** The longest scenario name kept whole in a folder name: every valid name (LIMITS.scenarioName) fits. */
const NAME_BYTES = 100;

/**
The name of a run's report folder: `<YYYYMMDD-HHMMSS>-<scenario name>`, the time being when the run
started, in UTC (so the name does not depend on the machine's zone), and the name reduced to
characters every file system takes: letters stripped of accents, anything else but digits, `.`,
`_` and `-` replaced by `-`. A name longer than 100 characters is cut and given a short hash of the
whole, so the folder name stays far below the 255 bytes a file name may have and two long names
that start alike still get two folders.
*/
export function reportDirName(result: Pick<RunResult, 'startedAt'> & { scenario: { name: string } }): string {
  const d = new Date(result.startedAt);
  const at = Number.isNaN(d.getTime()) ? new Date(0) : d;
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
  const original = result.scenario.name;
  const ascii = original.normalize('NFKD').replace(/\p{M}+/gu, '');
  let name = ascii.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'scenario';
  if (name.length > NAME_BYTES) {
    const hash = createHash('sha256').update(original).digest('hex').slice(0, 8);
    name = `${name.slice(0, NAME_BYTES - 9).replace(/[-.]+$/, '')}-${hash}`;
  }
  return `${stamp}-${name}`;
}
