import { runMain } from '../host/run-main.js';
import { ensureTemporalCli } from '../host/temporal-cli.js';

// Finds or builds the Temporal CLI and prints its path; `npm start` and the tests do the same on their own.

runMain(async () => {
  console.log(await ensureTemporalCli());
});
