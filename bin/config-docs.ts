import { readFile, writeFile } from 'node:fs/promises';
import { CONFIG_DOC, withConfigTable } from '../config/describe.js';
import { runMain } from '../host/run-main.js';

// Rewrites the configuration table in docs/configuration.md from the schema; a unit test fails while it is out of date.

runMain(async () => {
  const doc = await readFile(CONFIG_DOC, 'utf8');
  const updated = withConfigTable(doc);
  await writeFile(CONFIG_DOC, updated);
  console.log(updated === doc ? `${CONFIG_DOC}: the configuration table is current` : `${CONFIG_DOC}: the configuration table was updated`);
});
