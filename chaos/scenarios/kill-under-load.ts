import { setTimeout as delay } from 'node:timers/promises';
import { produce, type Identity, type ProducerReport } from '../producer.js';
import type { ChaosReceiver } from '../receiver.js';
import type { Rig } from '../rig.js';
import { answerProblems, answersNote, settle, spreadThrough } from '../scenario.js';
import type { Tally } from '../tally.js';

export interface KillPlan {
  readonly events: number;
  readonly perSecond: number;
  readonly kills: number;
  /** Which of the rig's processes. */
  readonly process: string;
  /** Keep it down this long before the supervisor starts it again. */
  readonly downForMs?: number;
  /** Kill this long after an event's request went out, so that the request is in flight. */
  readonly afterRequestMs?: number;
  readonly identity?: Identity | 'both';
  /** How long the count waits for every accepted event. */
  readonly settleMs: number;
  /** How quiet the receiver must then be (see `QUIET_MS`). */
  readonly quietMs: number;
}

export interface KillOutcome {
  readonly produced: ProducerReport;
  readonly counted: Tally;
  readonly startedAt: number;
  readonly notes: string[];
  readonly problems: string[];
}

/**
 * The shape of the kill scenarios: a steady load of `chaos.sent` events to the rig's `receiver` endpoint, with one
 * process SIGKILLed at points spread evenly through it, then the count.
 */
export async function killUnderLoad({ rig, receiver }: { rig: Rig; receiver: ChaosReceiver }, plan: KillPlan): Promise<KillOutcome> {
  await rig.waitUntilRouted('chaos.probe', ['receiver']);
  const startedAt = Date.now();
  const killAt = spreadThrough(plan.events, plan.kills);
  const notes: string[] = [];
  let kills = 0;
  const kill = (): void => rig.kill(plan.process, plan.downForMs ? { downForMs: plan.downForMs } : {});
  const produced = await produce({
    apiUrl: rig.apiUrl,
    count: plan.events,
    perSecond: plan.perSecond,
    type: 'chaos.sent',
    runId: `evt_${plan.process}_kill_${startedAt.toString(36)}`,
    ...(plan.identity ? { identity: plan.identity } : {}),
    onSent: (seq) => {
      if (!killAt.has(seq)) return;
      // A kill that finds the process still restarting from the last one is skipped, and said.
      if (rig.pid(plan.process) === undefined) return void notes.push(`kill at event ${seq} skipped: ${plan.process} restarting`);
      if (plan.afterRequestMs === undefined) kill();
      else void delay(plan.afterRequestMs).then(kill);
      kills += 1;
    },
  });
  const counted = await settle(produced, () => receiver.arrivals, plan.settleMs, plan.quietMs);
  const problems = answerProblems(produced);
  if (kills === 0) problems.push('no kill happened');
  notes.unshift(`${kills} kills${plan.downForMs ? `, each down ${plan.downForMs / 1_000} s` : ''}`, answersNote(produced));
  return { produced, counted, startedAt, notes, problems };
}
