import { request, type Dispatcher } from 'undici';
import type { AttemptResult, DeliveryTarget } from '../domain/delivery.js';
import { renderEnvelope } from '../domain/envelope.js';
import type { WebhookEvent } from '../domain/event.js';
import { classifyTransportError, describeTransportError } from './transport-error.js';

/** One HTTP attempt of one event to one endpoint. */
export interface AttemptRequest {
  readonly event: WebhookEvent;
  readonly target: DeliveryTarget;
  readonly attempt: number;
}

/** What the delivery activities need from their process. */
export interface DeliveryActivityDeps {
  /** The connection pool for outbound requests; shared so keep-alive connections are reused across attempts. */
  readonly dispatcher: Dispatcher;
  readonly userAgent: string;
  readonly now?: () => Date;
}

const RESPONSE_EXCERPT_BYTES = 1024;
const KEPT_RESPONSE_HEADERS = ['content-type', 'retry-after', 'location', 'x-request-id'] as const;

/** Builds the activities that talk to receivers; tests pass their own dispatcher or clock. */
export function createDeliveryActivities(deps: DeliveryActivityDeps) {
  const now = deps.now ?? (() => new Date());

  return {
    /** POSTs the event to the target once and reports what happened; HTTP failures are results, not errors. */
    async deliverAttempt({ event, target }: AttemptRequest): Promise<AttemptResult> {
      const body = renderEnvelope(event);
      const startedAt = now();
      const headers: Record<string, string> = {
        ...target.headers,
        'content-type': 'application/json',
        'user-agent': deps.userAgent,
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(startedAt.getTime() / 1000)),
      };
      const elapsedMs = (): number => Math.max(0, now().getTime() - startedAt.getTime());

      try {
        const response = await request(target.url, {
          method: 'POST',
          headers,
          body,
          dispatcher: deps.dispatcher,
          signal: AbortSignal.timeout(target.timeoutMs),
        });
        const responseBodyExcerpt = await readExcerpt(response.body);
        return {
          startedAt: startedAt.toISOString(),
          durationMs: elapsedMs(),
          statusCode: response.statusCode,
          responseHeaders: pickHeaders(response.headers),
          ...(responseBodyExcerpt ? { responseBodyExcerpt } : {}),
        };
      } catch (error) {
        return {
          startedAt: startedAt.toISOString(),
          durationMs: elapsedMs(),
          errorClass: classifyTransportError(error),
          errorMessage: describeTransportError(error),
        };
      }
    },
  };
}

/** The activities' interface, for `proxyActivities` in workflows. */
export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;

async function readExcerpt(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= RESPONSE_EXCERPT_BYTES) break;
  }
  // Leaving the loop early stops reading: a receiver that streams a huge body cannot hold the worker.
  const text = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
  return text.replace(/\uFFFD+$/, '');
}

function pickHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = (Array.isArray(value) ? value.join(', ') : value).slice(0, 256);
  }
  return kept;
}
