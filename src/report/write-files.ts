import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MeshproofError } from '../errors.ts';

/** Writes rendered reports (name → content) into `dir`, created if missing; throws MESHPROOF_REPORT_FAILED saying why it could not. Returns the paths. */
export async function writeFiles(dir: string, files: readonly (readonly [string, string])[]): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
    const paths: string[] = [];
    for (const [name, content] of files) {
      const path = join(dir, name);
      await writeFile(path, content, 'utf8');
      paths.push(path);
    }
    return paths;
  } catch (e) {
    throw new MeshproofError('MESHPROOF_REPORT_FAILED', `could not write the reports to ${dir}: ${(e as Error).message}`, { cause: e });
  }
}
