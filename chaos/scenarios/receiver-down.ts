import { setTimeout as delay } from 'node:timers/promises';
import { produce } from '../producer.js';
import { readFinalDeliveries } from '../reports.js';
import { startRig } from '../rig.js';
import {
  answerProblems,
  answersNote,
  inBackground,
  receiverEndpoint,
  settle,
  withRig,
  type Scenario,
  type Size,
  QUIET_MS,
} from '../scenario.js';

// Ten minutes of outage, compressed ten times (forty times in the short run) together with the retry schedule, so
// that the outage spans the same share of the schedule: 10 s, 30 s, 1 m, 2 m, 4 m, 8 m, 16 m becomes 1 s … 96 s.
const SCHEDULE_S = [10, 30, 60, 120, 240, 480, 960];
const PLAN: Record<Size, { compression: number; events: number; perSecond: number }> = {
  full: { compression: 10, events: 300, perSecond: 5 },
  short: { compression: 40, events: 40, perSecond: 4 },
};
const OUTAGE_S = 600;
// An attempt may start this much before its time by the worker's record (timer and clock granularity).
const EARLY_TOLERANCE_MS = 250;

/** The receiver refuses connections for a compressed ten minutes while events keep coming, then answers again. */
export const receiverDown: Scenario = {
  name: 'receiver down 10 min',
  promise:
    'Deliveries to a receiver that is down are retried on the endpoint’s schedule, no sooner, and none is given up ' +
    'while its schedule lasts: when the receiver is back, each arrives at its next attempt.',
  run: (size) => {
    const plan = PLAN[size];
    const scheduleMs = SCHEDULE_S.map((seconds) => Math.round((seconds * 1_000) / plan.compression));
    const outageMs = (OUTAGE_S * 1_000) / plan.compression;
    return withRig(
      {},
      (receiver) =>
        startRig({
          topology: 'node',
          config: {
            endpoints: [receiverEndpoint(receiver.url, 'ok', { retry: { schedule: scheduleMs.map((ms) => `${ms}ms`), jitter: 0 } })],
          },
        }),
      async ({ rig, receiver }) => {
        await rig.waitUntilRouted('chaos.probe', ['receiver']);
        const startedAt = Date.now();
        await receiver.goDown();
        let backAt = Infinity;
        const outage = inBackground(async () => {
          await delay(outageMs);
          await receiver.comeBack();
          backAt = Date.now();
        });
        // The events arrive during the outage's first part, so each meets several refused attempts.
        const produced = await produce({
          apiUrl: rig.apiUrl,
          count: plan.events,
          perSecond: plan.perSecond,
          type: 'chaos.sent',
          runId: `evt_receiver_down_${startedAt.toString(36)}`,
        });
        await outage.done();
        const totalScheduleMs = scheduleMs.reduce((sum, ms) => sum + ms, 0);
        const counted = await settle(produced, () => receiver.arrivals, totalScheduleMs + 120_000, QUIET_MS[size]);

        // Each event's attempts, as the worker recorded them: never before the schedule said, none given up, and
        // none failing once the receiver was back.
        const problems = answerProblems(produced);
        let latestMs = 0;
        let attempts = 0;
        for (const [id, deliveries] of await readFinalDeliveries(rig.apiUrl, produced.accepted.keys(), 120_000)) {
          const delivery = deliveries.find((d) => d.endpoint_id === 'receiver');
          if (delivery?.status !== 'succeeded') {
            problems.push(`${id}: ${delivery?.status ?? 'not routed'}`);
            continue;
          }
          attempts += delivery.attempts.length;
          let due = Date.parse(delivery.attempts[0]?.started_at ?? '');
          for (const [index, attempt] of delivery.attempts.entries()) {
            if (index > 0) due += scheduleMs[index - 1] ?? Number.NaN;
            const startedMs = Date.parse(attempt.started_at);
            if (startedMs < due - EARLY_TOLERANCE_MS) problems.push(`${id}: attempt ${attempt.attempt} ${due - startedMs} ms early`);
            if (startedMs > backAt + EARLY_TOLERANCE_MS && attempt.verdict !== 'delivered') {
              problems.push(`${id}: attempt ${attempt.attempt} failed after the receiver was back`);
            }
            latestMs = Math.max(latestMs, Math.round(startedMs - due));
          }
        }
        const notes = [
          `outage ${outageMs / 1_000} s, schedule ${scheduleMs.map((ms) => `${ms / 1_000}s`).join(' ')}`,
          answersNote(produced),
          `${attempts} attempts in all, none early (latest ${latestMs} ms after its time)`,
        ];
        return { name: receiverDown.name, ...counted, wallMs: Date.now() - startedAt, notes, problems: problems.slice(0, 10) };
      },
    );
  },
};
