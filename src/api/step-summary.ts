import { appendFile } from 'node:fs/promises';
import { MeshproofError } from '../errors.ts';

/**
Appends a run's Markdown summary to the file GitHub Actions names in `$GITHUB_STEP_SUMMARY`, so the
verdicts show on the job's summary page. Appends (several runs in one step each add theirs) and does
nothing when the variable is unset or empty. Returns the file written, or null.
*/
export async function appendStepSummary(markdown: string, env: Record<string, string | undefined>): Promise<string | null> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return null;
  try {
    await appendFile(file, markdown.endsWith('\n') ? markdown + '\n' : markdown + '\n\n', 'utf8');
    return file;
  } catch (e) {
    throw new MeshproofError('MESHPROOF_REPORT_FAILED', `could not append the summary to $GITHUB_STEP_SUMMARY (${file}): ${(e as Error).message}`, { cause: e });
  }
}
