import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { mergeReports, produce, type ProducerReport } from '../producer.js';
import { BEHAVIOURS } from '../receiver.js';
import { startRig, until } from '../rig.js';
import { answerProblems, answersNote, notRun, receiverEndpoint, settle, withRig, type Scenario, type Size, QUIET_MS } from '../scenario.js';
import type { Arrival } from '../tally.js';

const PLAN: Record<Size, { events: number; perSecond: number; retryS: number }> = {
  full: { events: 100, perSecond: 5, retryS: 30 },
  short: { events: 10, perSecond: 5, retryS: 10 },
};
const JUMP = '+1h';
const JUMP_S = 3_600;
// Debian's faketime package; the library intercepts the clock calls of the process it is preloaded into.
const LIBFAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'];
// libfaketime reads its offset file again after this many seconds.
const FAKETIME_CACHE_S = 1;
const EARLY_TOLERANCE_MS = 250;

/**
 * The worker's wall clock jumps an hour forward (libfaketime, preloaded into the worker process only) while
 * deliveries wait for their retry, and more events arrive after the jump. Every first attempt fails, so every event
 * is retried once, after the endpoint's delay.
 */
export const clockJump: Scenario = {
  name: 'worker clock +1 h',
  promise:
    'Retries wait on Temporal timers, which the server keeps: a worker whose clock jumps does not fire them early. ' +
    'What the worker clock does set is the webhook-timestamp header (and so a signature a receiver checks for freshness) ' +
    'and the attempt times the deliveries report shows.',
  run: async (size) => {
    const plan = PLAN[size];
    const library = await firstExisting(LIBFAKETIME);
    if (!library) return notRun(clockJump.name, 'not run: libfaketime is not installed (apt-get install faketime)');
    const clockDir = await mkdtemp(join(tmpdir(), 'webhooks-chaos-clock-'));
    const offsetFile = join(clockDir, 'offset');
    await writeFile(offsetFile, '+0');
    try {
      return await withRig(
        {},
        (receiver) =>
          startRig({
            topology: 'split',
            config: {
              endpoints: [receiverEndpoint(receiver.url, BEHAVIOURS.failOnce, { retry: { schedule: [`${plan.retryS}s`], jitter: 0 } })],
            },
            env: {
              worker: {
                LD_PRELOAD: library,
                FAKETIME_TIMESTAMP_FILE: offsetFile,
                FAKETIME_CACHE_DURATION: String(FAKETIME_CACHE_S),
                // Timers and timeouts inside the process run on the monotonic clock, which a wall-clock jump leaves be.
                FAKETIME_DONT_FAKE_MONOTONIC: '1',
              },
            },
          }),
        async ({ rig, receiver }) => {
          await rig.waitUntilRouted('chaos.probe', ['receiver']);
          const startedAt = Date.now();
          const send = (phase: string, firstSeq: number): Promise<ProducerReport> =>
            produce({
              apiUrl: rig.apiUrl,
              count: plan.events,
              firstSeq,
              perSecond: plan.perSecond,
              type: 'chaos.sent',
              runId: `evt_clock_${phase}_${startedAt.toString(36)}`,
            });

          // Before the jump: every event's first attempt fails, and its retry waits on a timer…
          const before = await send('before', 0);
          const firstAttempts = (): number =>
            new Set(receiver.arrivals.filter((a) => before.accepted.has(a.webhookId)).map((a) => a.webhookId)).size;
          await until('every first attempt arrived', 120_000, () => firstAttempts() === before.accepted.size);
          // …across the jump. More events arrive after it.
          await writeFile(offsetFile, JUMP);
          const jumpedAt = Date.now();
          await delay(2 * FAKETIME_CACHE_S * 1_000);
          const after = await send('after', plan.events);

          const produced = mergeReports(before, after);
          const counted = await settle(produced, () => receiver.arrivals, plan.retryS * 1_000 + 120_000, QUIET_MS[size]);

          const problems = answerProblems(produced);
          const gaps = retryGaps(receiver.arrivals, produced.accepted.keys());
          const earliest = gaps.size > 0 ? Math.min(...gaps.values()) : Number.NaN;
          // The first round's retries must have been waiting when the clock jumped, or the jump tested nothing.
          const retriedBeforeJump = receiver.arrivals.filter(
            (a) => before.accepted.has(a.webhookId) && a.answered === 200 && a.at < jumpedAt,
          );
          if (retriedBeforeJump.length > 0) problems.push(`${retriedBeforeJump.length} retries of the first round came before the jump`);
          for (const [id, gapMs] of gaps) {
            if (gapMs < plan.retryS * 1_000 - EARLY_TOLERANCE_MS)
              problems.push(`${id}: retried after ${gapMs} ms, before its ${plan.retryS} s`);
          }
          if (gaps.size !== produced.accepted.size) problems.push(`${produced.accepted.size - gaps.size} events without a retry`);
          const skews = receiver.arrivals
            .filter((a) => produced.accepted.has(a.webhookId) && a.webhookTimestamp !== undefined)
            .map((a) => (a.webhookTimestamp ?? 0) - Math.round(a.at / 1_000));
          const jumped = skews.filter((skew) => Math.abs(skew - JUMP_S) <= 5).length;
          const notes = [
            answersNote(produced),
            `retries ${Math.round(earliest / 100) / 10} s or more after the first attempt (schedule ${plan.retryS} s)`,
            `webhook-timestamp an hour ahead on ${jumped} of ${skews.length} requests (sent after the jump)`,
          ];
          if (jumped === 0) problems.push('no request carried the jumped clock: the jump did not reach the worker');
          return { name: clockJump.name, ...counted, wallMs: Date.now() - startedAt, notes, problems: problems.slice(0, 10) };
        },
      );
    } finally {
      await rm(clockDir, { recursive: true, force: true });
    }
  },
};

/** For each event, the time between its first request and the next, by the receiver's clock. */
function retryGaps(arrivals: readonly Arrival[], ids: Iterable<string>): Map<string, number> {
  const wanted = new Set(ids);
  const times = new Map<string, number[]>();
  for (const arrival of arrivals) {
    if (!wanted.has(arrival.webhookId)) continue;
    times.set(arrival.webhookId, [...(times.get(arrival.webhookId) ?? []), arrival.at]);
  }
  const gaps = new Map<string, number>();
  for (const [id, [first, second]] of times) if (first !== undefined && second !== undefined) gaps.set(id, second - first);
  return gaps;
}

async function firstExisting(paths: readonly string[]): Promise<string | undefined> {
  for (const path of paths) {
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return undefined;
}
