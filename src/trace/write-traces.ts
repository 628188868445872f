import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MeshproofError } from '../errors.ts';
import type { SpanRecord } from './span-model.ts';
import { tracesFile, type TraceSummary } from './trace-summary.ts';

/** Writes `traces.json` into a run's report folder; returns its path. */
export async function writeTraces(dir: string, runId: string, summary: TraceSummary, spans: SpanRecord[]): Promise<string> {
  const path = join(dir, 'traces.json');
  try {
    await writeFile(path, tracesFile(runId, summary, spans), 'utf8');
    return path;
  } catch (e) {
    throw new MeshproofError('MESHPROOF_REPORT_FAILED', `could not write ${path}: ${(e as Error).message}`, { cause: e });
  }
}
