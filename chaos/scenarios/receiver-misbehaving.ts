import { produce } from '../producer.js';
import { BEHAVIOURS, type Behaviour } from '../receiver.js';
import { readFinalDeliveries, secondsBetween, type DeliveryView } from '../reports.js';
import { startRig } from '../rig.js';
import { answerProblems, answersNote, settle, withRig, type Scenario, type Size, QUIET_MS } from '../scenario.js';
import type { AcceptedEvent, Arrival } from '../tally.js';

const LOAD: Record<Size, { events: number; perSecond: number }> = {
  full: { events: 300, perSecond: 10 },
  short: { events: 40, perSecond: 10 },
};
const TIMEOUT_MS = 2_000;
const RETRY_AFTER_S = 3;
const SCHEDULE = ['1s', '1s', '1s'];

/** What each misbehaving endpoint's delivery must come to, by the classification docs/delivery.md gives. */
const EXPECTED: Record<
  Exclude<Behaviour, 'ok' | 'fail-once'>,
  { status: string; attempts: number; check: (delivery: DeliveryView) => string | undefined }
> = {
  // Answers after the timeout: a transport timeout, retried, then failed when the schedule ends.
  [BEHAVIOURS.slow]: {
    status: 'failed',
    attempts: SCHEDULE.length + 1,
    check: (d) => everyAttempt(d, (a) => a.error_class === 'timeout', 'timed out'),
  },
  [BEHAVIOURS.reset]: {
    status: 'failed',
    attempts: SCHEDULE.length + 1,
    check: (d) => everyAttempt(d, (a) => a.error_class === 'connection_reset', 'connection_reset'),
  },
  // 429 is retried, and Retry-After replaces the schedule's shorter delay.
  [BEHAVIOURS.rateLimited]: {
    status: 'failed',
    attempts: SCHEDULE.length + 1,
    check: (d) => {
      const wrong = everyAttempt(d, (a) => a.status_code === 429 && a.verdict === 'retryable', '429 retryable');
      if (wrong) return wrong;
      const gaps = d.attempts.slice(1).map((attempt, index) => secondsBetween(d.attempts[index]!, attempt));
      return gaps.every((gap) => gap >= RETRY_AFTER_S - 0.25)
        ? undefined
        : `retried ${gaps.map((g) => g.toFixed(1)).join(', ')} s apart, before Retry-After`;
    },
  },
  // A 200 with a body of megabytes: delivered, the body read only as far as its excerpt.
  [BEHAVIOURS.hugeBody]: {
    status: 'succeeded',
    attempts: 1,
    check: (d) => ((d.attempts[0]?.duration_ms ?? Infinity) < TIMEOUT_MS ? undefined : `took ${d.attempts[0]?.duration_ms} ms`),
  },
  // A redirect is not followed (it could carry a signed payload elsewhere): rejected at once, never retried.
  [BEHAVIOURS.redirect]: {
    status: 'failed',
    attempts: 1,
    check: (d) => everyAttempt(d, (a) => a.status_code === 302 && a.verdict === 'rejected', '302 rejected'),
  },
};

function everyAttempt(
  delivery: DeliveryView,
  holds: (attempt: DeliveryView['attempts'][number]) => boolean,
  what: string,
): string | undefined {
  const wrong = delivery.attempts.find((attempt) => !holds(attempt));
  return wrong ? `attempt ${wrong.attempt} is not ${what}: ${JSON.stringify(wrong)}` : undefined;
}

/**
 * One healthy endpoint and five that misbehave, all subscribed to the same events: slow beyond the timeout, resetting
 * connections, 429 with Retry-After, a huge body streamed slowly, a redirect.
 */
export const receiverMisbehaving: Scenario = {
  name: 'receiver misbehaving',
  promise:
    'Each misbehaviour gets its documented classification (timeout and reset retried, 429 retried no sooner than ' +
    'Retry-After, a redirect rejected without following it, a huge body cut to its excerpt), and none of them slows ' +
    'deliveries to a healthy endpoint of the same events.',
  run: (size) => {
    const load = LOAD[size];
    const misbehaving = Object.keys(EXPECTED) as (keyof typeof EXPECTED)[];
    return withRig(
      { slowMs: 10_000, retryAfterSeconds: RETRY_AFTER_S, hugeBodyBytes: 64 * 2 ** 20 },
      (receiver) => {
        const endpoint = (behaviour: Behaviour) => ({
          id: behaviour,
          url: `${receiver.url}/${behaviour}`,
          events: ['chaos.*'],
          timeout: `${TIMEOUT_MS}ms`,
          retry: { schedule: SCHEDULE, jitter: 0 },
        });
        return startRig({ topology: 'node', config: { endpoints: [BEHAVIOURS.ok, ...misbehaving].map(endpoint) } });
      },
      async ({ rig, receiver }) => {
        await rig.waitUntilRouted('chaos.probe', [BEHAVIOURS.ok, ...misbehaving]);
        const startedAt = Date.now();
        const produced = await produce({
          apiUrl: rig.apiUrl,
          count: load.events,
          perSecond: load.perSecond,
          type: 'chaos.sent',
          runId: `evt_misbehaving_${startedAt.toString(36)}`,
        });
        // The figures are the healthy endpoint's: every event must reach it, promptly.
        const healthy = () => receiver.arrivals.filter((arrival) => arrival.path.startsWith(`/${BEHAVIOURS.ok}`));
        const counted = await settle(produced, healthy, 120_000, QUIET_MS[size]);
        // A healthy delivery that waited on a misbehaving one would take at least their timeout, every time: the
        // median says so, where a loaded machine's slowest few would not.
        const delays = healthyDelays(produced.accepted, healthy());
        const percentile = (share: number): number => delays[Math.min(delays.length - 1, Math.floor(delays.length * share))] ?? 0;

        // Every event's misbehaving deliveries, once each has come to its end.
        const problems = answerProblems(produced);
        const misclassified = new Set<string>();
        const reports = await readFinalDeliveries(rig.apiUrl, produced.accepted.keys(), 120_000);
        for (const [id, deliveries] of reports) {
          for (const behaviour of misbehaving) {
            const delivery = deliveries.find((d) => d.endpoint_id === behaviour);
            const expected = EXPECTED[behaviour];
            const wrong = !delivery
              ? 'not routed'
              : delivery.status !== expected.status || delivery.attempts.length !== expected.attempts
                ? `${delivery.status} after ${delivery.attempts.length} attempts, expected ${expected.status} after ${expected.attempts}`
                : expected.check(delivery);
            if (!wrong) continue;
            misclassified.add(id);
            problems.push(`${id} → ${behaviour}: ${wrong}`);
          }
        }
        if (percentile(0.5) >= TIMEOUT_MS) {
          problems.unshift(`the healthy endpoint's median delay was ${percentile(0.5)} ms, as long as the misbehaving ones' timeout`);
        }
        const notes = [
          answersNote(produced),
          `healthy endpoint: delay p50 ${percentile(0.5)} ms, p99 ${percentile(0.99)} ms`,
          `${misbehaving.length} misbehaving endpoints classified as documented in ${reports.size - misclassified.size} of ${reports.size} events`,
        ];
        return { name: receiverMisbehaving.name, ...counted, wallMs: Date.now() - startedAt, notes, problems: problems.slice(0, 10) };
      },
    );
  },
};

/** Each accepted event's time from acceptance to its first arrival, sorted. */
function healthyDelays(accepted: ReadonlyMap<string, AcceptedEvent>, arrivals: readonly Arrival[]): number[] {
  const first = new Map<string, number>();
  for (const arrival of arrivals) if (!first.has(arrival.webhookId)) first.set(arrival.webhookId, arrival.at);
  return [...accepted].map(([id, event]) => Math.max(0, (first.get(id) ?? Infinity) - event.acceptedAt)).sort((a, b) => a - b);
}
