import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MeshproofError } from '../errors.ts';
import { initProject, SCENARIOS_DIR } from '../init/init-project.ts';

/**
`meshproof init [dir] [--force]`: a starter scenario and a CI workflow in a project (default: the
working folder). Exit 0 with what was written and what to do next; 2 when a file exists (nothing
written) or the arguments are wrong.
*/
export async function initCommand(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { force: { type: 'boolean' } } });
  } catch (e) {
    err(`meshproof init: ${(e as Error).message} (usage: meshproof init [dir] [--force])`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    err(`meshproof init: one project folder at most, got ${positionals.length} (usage: meshproof init [dir] [--force])`);
    return 2;
  }
  const dir = positionals[0] ?? '.';
  let result;
  try {
    result = await initProject(dir, { force: values.force });
  } catch (e) {
    if (!(e instanceof MeshproofError)) throw e;
    err(`meshproof init: ${e.message}`);
    return 2;
  }
  const shown = (f: string) => (dir === '.' ? f : join(dir, f));
  const [scenario, workflow] = result.written.map(shown);
  out(`✔ ${scenario}: a starter scenario to edit (its first line names the schema, so editors complete its keys)`);
  out(`✔ ${workflow}: a GitHub Actions workflow that runs every scenario in ${SCENARIOS_DIR}/ and fails the job on a failed expectation`);
  if (!result.installed) {
    err(`note: meshproof is not installed in this project; npm install --save-dev meshproof puts it where the workflow and the schema path (${result.schemaPath}) expect it`);
  }
  out('');
  out('Next:');
  out(`  npx meshproof validate ${shown(SCENARIOS_DIR)}/`);
  out(`  npx meshproof explain ${scenario}`);
  out(`  npx meshproof run ${scenario}    (about 15 seconds; reports go to ./reports)`);
  return 0;
}
