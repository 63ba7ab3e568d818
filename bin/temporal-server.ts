import { runMain } from '../host/run-main.js';
import { ensureTemporalServerTools } from '../host/temporal-server-tools.js';

// Finds or builds the Temporal server, temporal-sql-tool and the Web UI server and prints where they are;
// `npm run cluster` does the same on its own.

runMain(async () => {
  const tools = await ensureTemporalServerTools();
  for (const [name, path] of Object.entries(tools)) console.log(`${name}: ${path}`);
});
