import { runMain } from '../runtime/main.js';
import { ensureTemporalCli } from '../runtime/temporal-cli.js';

// Finds or builds the Temporal CLI and prints its path; `npm start` and the tests do the same on their own.

runMain(async () => {
  console.log(await ensureTemporalCli());
});
