import { resolve } from 'node:path';
import { MeshproofError } from '../errors.ts';
import { readRunResult } from '../report/read-run-result.ts';
import { writeReports } from '../report/write-reports.ts';

/**
`meshproof report <run folder>...`: re-renders every report of each folder (junit.xml, summary.md,
report.html, and result.json itself) from its result.json, e.g. after upgrading meshproof or to get
the HTML of an older run. Exit 0, or 2 with what is wrong with a folder.
*/
export async function reportCommand(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const folders = args.filter((a) => !a.startsWith('-'));
  const unknown = args.filter((a) => a.startsWith('-'));
  if (unknown.length) {
    err(`meshproof report: unknown option ${unknown[0]} (usage: meshproof report <run folder>...)`);
    return 2;
  }
  if (folders.length === 0) {
    err('meshproof report: no run folder given (e.g. meshproof report reports/20260101-120000-quickstart)');
    return 2;
  }
  let code = 0;
  for (const f of folders) {
    const dir = resolve(f);
    try {
      const result = await readRunResult(dir);
      const paths = await writeReports(result, dir);
      out(`✔ ${f}: ${paths.map((p) => p.slice(dir.length + 1)).join(', ')} re-rendered from result.json`);
    } catch (e) {
      if (!(e instanceof MeshproofError)) throw e;
      err(`meshproof report: ${e.message}`);
      code = 2;
    }
  }
  return code;
}
