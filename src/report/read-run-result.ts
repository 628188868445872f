import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MeshproofError } from '../errors.ts';
import type { RunResult } from './run-result.ts';

/**
Reads a run folder's result.json back, for re-rendering its reports. Checks what the renderers rely
on (format 2, the scenario, the verdicts, the timeline) and says what is wrong with the folder
otherwise, as a MESHPROOF_USAGE error: not a folder, no result.json, not JSON, another format.
*/
export async function readRunResult(dir: string): Promise<RunResult> {
  const st = await stat(dir).catch(() => null);
  if (!st) throw new MeshproofError('MESHPROOF_USAGE', `${dir}: no such folder (give a run's report folder, e.g. reports/20260101-120000-quickstart)`);
  if (!st.isDirectory()) throw new MeshproofError('MESHPROOF_USAGE', `${dir}: not a folder (give a run's report folder, the one that holds result.json)`);
  const file = join(dir, 'result.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new MeshproofError('MESHPROOF_USAGE', `${dir}: not a run folder: it has no result.json (meshproof run writes one per run, unless --no-report)`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new MeshproofError('MESHPROOF_USAGE', `${file}: not valid JSON: ${(e as Error).message}`);
  }
  const r = doc as Partial<RunResult> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new MeshproofError('MESHPROOF_USAGE', `${file}: not a run result (expected a JSON object)`);
  if (r.format !== 2) {
    const older = r.format === 1 ? '; it was written by an older meshproof, whose events carry words instead of typed fields: run the scenario again' : '';
    throw new MeshproofError('MESHPROOF_USAGE', `${file}: result format ${JSON.stringify(r.format)} is not one this meshproof reads (it reads format 2)${older}`);
  }
  const missing = (['scenario', 'verdicts', 'timeline', 'load'] as const).filter((k) => typeof r[k] !== 'object' || r[k] === null);
  if (missing.length) throw new MeshproofError('MESHPROOF_USAGE', `${file}: not a complete run result: no ${missing.join(', ')}`);
  return r as RunResult;
}
