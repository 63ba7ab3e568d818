import { setTimeout as delay } from 'node:timers/promises';
import type { AcceptedEvent } from './tally.js';

/** How a producer makes its retries safe: the event's own id, or an `Idempotency-Key` header the API derives one from. */
export type Identity = 'event-id' | 'idempotency-key';

export interface ProducerOptions {
  readonly apiUrl: string;
  readonly count: number;
  /** The first event's sequence number (0), for a scenario that sends in several rounds. */
  readonly firstSeq?: number;
  /** Events started per second, whatever the answers: the load does not ease off while the gateway is hurt. */
  readonly perSecond: number;
  readonly type: string;
  /** Prefix of the event ids (and idempotency keys), unique per run. */
  readonly runId: string;
  /** Every other event one way and the other with `both`. */
  readonly identity?: Identity | 'both';
  readonly maxInFlight?: number;
  /** A producer stops retrying one event after this long; such events are reported, not counted as accepted. */
  readonly giveUpAfterMs?: number;
  /** Called as each event is first sent, for faults timed by the load's progress. */
  readonly onSent?: (seq: number) => void;
  /** Called with each answer (`none` for no answer), for a scenario that counts the answers of one phase. */
  readonly onAnswer?: (answer: string) => void;
}

export interface ProducerReport {
  /** By event id, as the API's answer named it. */
  readonly accepted: Map<string, AcceptedEvent>;
  /**
   * Every answer the API gave, by status; without one, by how the request failed: `refused` (nothing listening),
   * `cut` (the connection died mid-request), `timeout`.
   */
  readonly answers: Record<string, number>;
  /** Events answered with a 4xx other than 429: refused for good. */
  readonly refused: number;
  /** Events still unanswered when the producer gave up on them. */
  readonly abandoned: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
const RETRY_PAUSE_MS = 500;
const RETRY_AFTER_CAP_MS = 5_000;

/**
 * Sends `count` events at a steady rate, as a careful producer does: every request that got no answer, a 5xx or a
 * 429 is sent again with the same identity until it is answered, so an event accepted twice would be the gateway's
 * fault. Each event carries its sequence number in `data.seq`, for the tally.
 */
export async function produce(options: ProducerOptions): Promise<ProducerReport> {
  const accepted = new Map<string, AcceptedEvent>();
  const answers: Record<string, number> = {};
  let refused = 0;
  let abandoned = 0;
  const maxInFlight = options.maxInFlight ?? 64;
  const giveUpAfterMs = options.giveUpAfterMs ?? 300_000;
  const count = (answer: string): void => {
    answers[answer] = (answers[answer] ?? 0) + 1;
    options.onAnswer?.(answer);
  };

  const send = async (seq: number): Promise<void> => {
    const identity = options.identity === 'both' ? (seq % 2 === 0 ? 'event-id' : 'idempotency-key') : (options.identity ?? 'event-id');
    const key = `${options.runId}-${seq}`;
    const body = JSON.stringify({ ...(identity === 'event-id' ? { id: key } : {}), type: options.type, data: { seq } });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...(identity === 'idempotency-key' ? { 'idempotency-key': key } : {}),
    };
    const giveUpAt = Date.now() + giveUpAfterMs;
    while (Date.now() < giveUpAt) {
      let pauseMs = RETRY_PAUSE_MS;
      try {
        const response = await fetch(`${options.apiUrl}/v1/events`, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const answer = await response.text();
        count(String(response.status));
        if (response.status >= 200 && response.status < 300) {
          accepted.set((JSON.parse(answer) as { id: string }).id, { seq, acceptedAt: Date.now() });
          return;
        }
        if (response.status < 500 && response.status !== 429) {
          refused += 1;
          return;
        }
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) pauseMs = Math.min(retryAfter * 1_000, RETRY_AFTER_CAP_MS);
      } catch (error) {
        count(unanswered(error));
      }
      await delay(pauseMs);
    }
    abandoned += 1;
  };

  const inFlight = new Set<Promise<void>>();
  const startedAt = performance.now();
  const firstSeq = options.firstSeq ?? 0;
  for (let seq = firstSeq; seq < firstSeq + options.count; seq += 1) {
    const due = startedAt + ((seq - firstSeq) * 1_000) / options.perSecond;
    const wait = due - performance.now();
    if (wait > 0) await delay(wait);
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    options.onSent?.(seq);
    const sending = send(seq).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  }
  await Promise.all(inFlight);
  return { accepted, answers, refused, abandoned };
}

/** How a request that got no answer failed. */
function unanswered(error: unknown): 'refused' | 'cut' | 'timeout' {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return 'timeout';
    if ((current as { code?: unknown }).code === 'ECONNREFUSED') return 'refused';
  }
  return 'cut';
}

/** Two rounds of one scenario's load as one report. */
export function mergeReports(first: ProducerReport, second: ProducerReport): ProducerReport {
  const answers = { ...first.answers };
  for (const [answer, count] of Object.entries(second.answers)) answers[answer] = (answers[answer] ?? 0) + count;
  return {
    accepted: new Map([...first.accepted, ...second.accepted]),
    answers,
    refused: first.refused + second.refused,
    abandoned: first.abandoned + second.abandoned,
  };
}
