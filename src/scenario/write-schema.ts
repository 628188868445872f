// Regenerates schema/scenario.schema.json, the key reference in docs/scenario-language.md and the
// defaults table in docs/profiles.md from src/scenario/shape.ts, metrics.ts and src/contract/defaults.ts. Run
// with `npm run schema` after changing the language; tests fail until you do.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchema } from './json-schema.ts';
import { withGeneratedReference } from './key-reference.ts';
import { withProfileReference } from './profile-reference.ts';

export const SCHEMA_FILE = fileURLToPath(new URL('../../schema/scenario.schema.json', import.meta.url));
export const LANGUAGE_DOC = fileURLToPath(new URL('../../docs/scenario-language.md', import.meta.url));
export const PROFILES_DOC = fileURLToPath(new URL('../../docs/profiles.md', import.meta.url));

export function schemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

if (import.meta.main) {
  writeFileSync(SCHEMA_FILE, schemaText());
  writeFileSync(LANGUAGE_DOC, withGeneratedReference(readFileSync(LANGUAGE_DOC, 'utf8')));
  writeFileSync(PROFILES_DOC, withProfileReference(readFileSync(PROFILES_DOC, 'utf8')));
  console.log(`wrote ${SCHEMA_FILE}\nupdated the generated tables in ${LANGUAGE_DOC} and ${PROFILES_DOC}`);
}
