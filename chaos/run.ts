import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { runMain } from '../host/run-main.js';
import { notRun, passed, type ScenarioResult } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';

// `npm run chaos`: every scenario, one after the other, each on a deployment of its own; one row per scenario.
// `--short` runs the smaller load CI runs; `--only <name,…>` picks scenarios by name (a prefix is enough).

const { values: flags } = parseArgs({ options: { short: { type: 'boolean', default: false }, only: { type: 'string' } } });

runMain(async () => {
  const wanted = flags.only?.split(',').map((name) => name.trim().toLowerCase());
  const scenarios = SCENARIOS.filter((scenario) => !wanted || wanted.some((name) => scenario.name.toLowerCase().startsWith(name)));
  if (scenarios.length === 0) throw new Error(`no scenario is named ${flags.only}; there are: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const size = flags.short ? 'short' : 'full';
  console.log(
    `${new Date().toISOString()} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version} · ${size} run`,
  );

  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    console.log(`\n▶ ${scenario.name}`);
    const result = await scenario
      .run(size)
      .catch((error: unknown) => notRun(scenario.name, `did not run to the end: ${(error as Error).message}`));
    results.push(result);
    console.log(
      `${passed(result) ? '✓' : '✗'} ${scenario.name}: ${[...result.notes, ...result.problems].join('; ')}${result.logFile ? ` (log: ${result.logFile})` : ''}`,
    );
  }

  console.log(
    '\n| scenario | accepted | delivered (unique webhook-id) | lost | duplicate requests | under another id | longest delay | wall time |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.accepted} | ${r.delivered} | ${r.lost} | ${r.duplicateRequests} | ${r.duplicatesUnderAnotherId} | ${seconds(r.longestDelayMs)} | ${seconds(r.wallMs)} |`,
    );
  }
  const failed = results.filter((result) => !passed(result));
  console.log(`\n${results.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length > 0) process.exitCode = 1;
});

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1_000).toFixed(1)} s` : `${Math.round(ms / 1_000)} s`;
}
