import { setTimeout as delay } from 'node:timers/promises';
import { startChaosReceiver, type ChaosReceiver, type ChaosReceiverOptions } from './receiver.js';
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

// Once everything has arrived, repeats (a worker's retried task) may still be on their way: the count waits for
// the receiver to be this quiet. Shorter in the short run, which CI runs eight times over: there it only trims the
// repeats counted, since what CI checks (nothing lost, no repeat under another webhook-id) is settled by then.
export const QUIET_MS: Record<Size, number> = { full: 10_000, short: 5_000 };

/**
 * Waits until every accepted event has arrived and the receiver has then been quiet for a while, or `timeoutMs`
 * passes, and counts.
 */
export async function settle(
  produced: ProducerReport,
  arrivals: () => readonly Arrival[],
  timeoutMs: number,
  quietMs: number,
): Promise<Tally> {
  const deadline = Date.now() + timeoutMs;
  const quietSince = (): number => Math.max(0, ...arrivals().map((arrival) => arrival.at));
  for (;;) {
    const counted = tally(produced.accepted, arrivals());
    const settled = counted.lost === 0 && Date.now() - quietSince() >= quietMs;
    if (settled || Date.now() >= deadline) return counted;
    await delay(500);
  }
}

/**
 * What the producers' answers say against the scenario's promises, whatever the fault: the API never answers 500,
 * and every event it was sent ends accepted (a refusal or an event never answered would drop out of the count, so
 * it counts as a failure here).
 */
export function answerProblems(produced: ProducerReport): string[] {
  const problems: string[] = [];
  if (produced.answers['500']) problems.push(`the API answered 500 ${produced.answers['500']} times`);
  if (produced.refused) problems.push(`${produced.refused} events refused with a 4xx`);
  if (produced.abandoned) problems.push(`${produced.abandoned} events never accepted`);
  return problems;
}

/** The producer's answers as one note: `202×600, 503×12, refused×3`. */
export function answersNote(produced: ProducerReport): string {
  const answers = Object.entries(produced.answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}×${count}`)
    .join(', ');
  return `API answers: ${answers}`;
}

/** The endpoint most scenarios deliver to: `chaos.*` events to one behaviour of the receiver, retried quickly. */
export function receiverEndpoint(receiverUrl: string, behaviour = 'ok', settings: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'receiver',
    url: `${receiverUrl}/${behaviour}`,
    events: ['chaos.*'],
    retry: { schedule: ['1s', '2s', '4s', '8s', '16s', '30s'], jitter: 0 },
    ...settings,
  };
}

/** `count` points spread evenly through a load of `events`, the first after a share of it, none at its very end. */
export function spreadThrough(events: number, count: number): Set<number> {
  return new Set(Array.from({ length: count }, (_, k) => Math.round(((k + 1) * events) / (count + 1))));
}

/**
 * Runs faults beside the load without letting their failure go unhandled meanwhile: `done()` resolves when they
 * have, and throws what they threw.
 */
export function inBackground(faults: () => Promise<void>): { done(): Promise<void> } {
  const settled = faults().then(
    () => ({ failed: false as const }),
    (error: unknown) => ({ failed: true as const, error }),
  );
  return {
    async done() {
      const outcome = await settled;
      if (outcome.failed) throw outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
    },
  };
}

/**
 * Starts a receiver and a rig for it, runs the scenario's body, and always stops both; the rig's log is kept when
 * the scenario failed (and named in the error when it threw).
 */
export async function withRig(
  receiverOptions: ChaosReceiverOptions,
  startRig: (receiver: ChaosReceiver) => Promise<Rig>,
  body: (parts: { rig: Rig; receiver: ChaosReceiver }) => Promise<Omit<ScenarioResult, 'logFile'>>,
): Promise<ScenarioResult> {
  const receiver = await startChaosReceiver(receiverOptions);
  try {
    const rig = await startRig(receiver);
    let result: ScenarioResult | undefined;
    try {
      result = await body({ rig, receiver });
      return passed(result) ? result : { ...result, logFile: rig.logFile };
    } catch (error) {
      throw new Error(`${(error as Error).message} (log: ${rig.logFile})`, { cause: error });
    } finally {
      await rig.stop({ keepLog: !result || !passed(result) });
    }
  } finally {
    await receiver.close();
  }
}

/** The result of a scenario this machine cannot run (no root for a mount, no libfaketime): failed, saying why. */
export function notRun(name: string, reason: string): ScenarioResult {
  return {
    name,
    accepted: 0,
    delivered: 0,
    lost: 0,
    duplicateRequests: 0,
    duplicatesUnderAnotherId: 0,
    longestDelayMs: 0,
    wallMs: 0,
    notes: [],
    problems: [reason],
  };
}
