import { setTimeout as delay } from 'node:timers/promises';
import type { ChaosReceiver } from './receiver.js';
import type { ProducerReport } from './producer.js';
import type { Rig } from './rig.js';
import { tally, type Arrival, type Tally } from './tally.js';

/**
 * `full` is the published run (`npm run chaos`); `short` the same faults on a smaller load, for CI and for trying
 * a change.
 */
export type Size = 'full' | 'short';

/** One fault a deployment meets, the promise it puts to the test, and how to run it. */
export interface Scenario {
  readonly name: string;
  /** The promise the scenario checks, in the words RELIABILITY.md puts beside its figures. */
  readonly promise: string;
  run(size: Size): Promise<ScenarioResult>;
}

export interface ScenarioResult extends Tally {
  readonly name: string;
  readonly wallMs: number;
  /** What happened besides the counts (faults injected, answers seen), for the report. */
  readonly notes: readonly string[];
  /** Broken promises beyond loss and duplication: a wrong classification, a retry fired early, a 500. */
  readonly problems: readonly string[];
  /** Set when the scenario failed: the rig's log, kept for reading. */
  readonly logFile?: string;
}

export const passed = (result: ScenarioResult): boolean =>
  result.lost === 0 && result.duplicatesUnderAnotherId === 0 && result.problems.length === 0;

/** Waits until every accepted event has arrived, or `timeoutMs` passes, and counts. */
export async function settle(produced: ProducerReport, arrivals: () => readonly Arrival[], timeoutMs: number): Promise<Tally> {
  const deadline = Date.now() + timeoutMs;
  let counted = tally(produced.accepted, arrivals());
  while (counted.lost > 0 && Date.now() < deadline) {
    await delay(500);
    counted = tally(produced.accepted, arrivals());
  }
  return counted;
}

/** The producer's answers as one note: `202×600, 503×12, none×3`. */
export function answersNote(produced: ProducerReport): string {
  const answers = Object.entries(produced.answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}×${count}`)
    .join(', ');
  const extra = [produced.refused ? `${produced.refused} refused` : '', produced.abandoned ? `${produced.abandoned} abandoned` : ''].filter(
    Boolean,
  );
  return `API answers: ${answers}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

/**
 * Runs a scenario's body with a rig and a receiver it made, always stopping both; the rig's log is kept when the
 * scenario failed.
 */
export async function withRig(
  start: () => Promise<{ rig: Rig; receiver: ChaosReceiver }>,
  body: (parts: { rig: Rig; receiver: ChaosReceiver }) => Promise<Omit<ScenarioResult, 'logFile'>>,
): Promise<ScenarioResult> {
  const parts = await start();
  let result: ScenarioResult | undefined;
  try {
    result = await body(parts);
    return passed(result) ? result : { ...result, logFile: parts.rig.logFile };
  } finally {
    await parts.rig.stop({ keepLog: !result || !passed(result) });
    await parts.receiver.close();
  }
}
