import { context as otelContext, propagation } from '@opentelemetry/api';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { request, type Dispatcher } from 'undici';
import type { AttemptResult, DeliveryTarget, TraceCarrier } from '../domain/delivery.js';
import type { AttemptObservation } from '../domain/observations.js';
import { classifyAttempt } from '../domain/classify.js';
import { inAttemptSpan } from './attempt-span.js';
import { checkLiteralDestination } from './destination.js';
import { statusStoppingDelivery, type EndpointStatusView } from '../domain/endpoint-state.js';
import { grantStillUsable, sendSpacingMs, type SlotAnswer } from '../domain/send-slots.js';
import type { WebhookEvent } from '../domain/event.js';
import type { Transformer } from '../transform/index.js';
import { readTlsMaterial, type ClientTlsPools } from './client-tls.js';
import { within } from './within.js';
import type { AccessTokens } from './oauth2.js';
import { buildOutboundRequest, type MissingSecret, type OutboundRequest } from './request.js';
import { classifyTransportError, describeTransportError } from './transport-error.js';

/**
 * One HTTP attempt of one event to one endpoint. The event itself is not here: the activity reads it from its
 * workflow's input (`loadEvent`), so that history holds one copy of it, not one per attempt.
 */
export interface AttemptRequest {
  readonly eventId: string;
  readonly target: DeliveryTarget;
  readonly attempt: number;
  /** The newest status version the workflow has heard from the endpoint's entity (0: none). */
  readonly knownStatusVersion?: number;
  /** The event itself, when the workflow sends it along (small events, local attempts); else it is read back. */
  readonly event?: WebhookEvent;
  /**
   * ISO 8601 acceptance of the event (its delivery workflow's start, or a split event's parent's): a deletion of the
   * endpoint after it stops the attempt; without it, only a status the delivery was not told of does. Also for the
   * delivery-latency metric.
   */
  readonly acceptedAt?: string;
  /** For a rate-limited endpoint: the ticket its last refusal gave (see `reserveSendSlot`). */
  readonly rateTicket?: number;
  /** The trace the event was accepted in: the attempt's span is its child (see `inAttemptSpan`). */
  readonly trace?: TraceCarrier;
}

/** The workflow run an attempt belongs to, whose input holds the event; `runId` is empty for the latest run. */
export interface WorkflowRun {
  readonly workflowId: string;
  readonly runId: string;
}

/** What the delivery activities need from their process. */
export interface DeliveryActivityDeps {
  /** The connection pool for outbound requests, with the destination guard in its DNS lookup (see `destination.ts`). */
  readonly dispatcher: Dispatcher;
  /** Non-public address kinds deliveries may reach (`loopback`, `private`, `link_local`). */
  readonly allowDestinations: readonly string[];
  readonly userAgent: string;
  /** Where secrets referenced by name are read from, at the moment of sending. */
  readonly env: NodeJS.ProcessEnv;
  /** Reads the event from the input of the workflow run an attempt belongs to. */
  readonly loadEvent: (run: WorkflowRun) => Promise<WebhookEvent>;
  /**
   * Asks the endpoint's entity for a send slot, for endpoints with a rate limit; without it, such an attempt sends
   * unlimited. Throws when the entity cannot be asked: an ordinary attempt then fails, and Temporal retries it; a
   * local one comes back unsent (see `unanswered`).
   */
  readonly reserveSendSlot?: (
    endpointId: string,
    request: { readonly ticket?: number; readonly queue?: boolean; readonly timeoutMs?: number },
  ) => Promise<SlotAnswer>;
  /** OAuth2 access tokens, for endpoints with `auth: { type: oauth2 }`; without them, such an attempt fails. */
  readonly accessTokens?: AccessTokens;
  /** Connection pools for endpoints with `tls` settings; without them, such an attempt fails before sending. */
  readonly clientTls?: Pick<ClientTlsPools, 'dispatcherFor'>;
  /** Runs endpoints' transforms; without it, an attempt to an endpoint with a transform fails (`transform_failed`). */
  readonly transformer?: Pick<Transformer, 'render'>;
  /** The status of an endpoint's entity as last read, for holding deliveries to paused endpoints. */
  readonly endpointStatus?: (endpointId: string) => EndpointStatusView | undefined;
  /**
   * The latest deletion of the id known, with `deletedAt`, also once an endpoint made again under the id runs: a
   * delivery accepted before it is not sent. Without it, only `endpointStatus` tells of deletions.
   */
  readonly endpointDeletion?: (endpointId: string) => EndpointStatusView | undefined;
  /**
   * Settles once `endpointStatus` knows the endpoints deleted before this process started (see the registry's
   * `statusesRead`); without it, `endpointStatus` is taken to know them from the start.
   */
  readonly endpointStatusesRead?: Promise<void>;
  /** Told of every attempt made, for the endpoints' health counters: a failure with its reason (`HTTP 503`, `timeout`). */
  readonly recordAttempt?: (endpointId: string, succeeded: boolean, at: Date, failureReason?: string) => void;
  /** Told of every attempt, made or failed before sending (not of one held for a paused endpoint), for metrics. */
  readonly observeAttempt?: (attempt: AttemptObservation) => void;
  readonly now?: () => Date;
}

const RESPONSE_EXCERPT_BYTES = 1024;
const KEPT_RESPONSE_HEADERS = ['content-type', 'retry-after', 'location', 'x-request-id'] as const;
const HEARTBEAT_INTERVAL_MS = 2_000;
// Within the activity's timeout (the request's plus 5 s, see deliver-event.ts): time to prepare an attempt besides the
// request's own, with a second to spare for recording it.
const PREPARATION_BUDGET_MS = 4_000;
// The longest an attempt waits for a transform process, and for an OAuth2 token, within that budget.
const TRANSFORM_WAIT_MS = 2_000;
const TOKEN_TIMEOUT_MS = 10_000;
// The least time a request is sent with (or its own timeout, if shorter).
const MIN_SEND_MS = 1_000;
// Grants that came too late to send on, in one attempt, before it waits like a refused one: each spends a slot.
const LATE_GRANTS_PER_ATTEMPT = 3;
// The longest an attempt waits, within its preparation budget, for a process just started to read the deletions;
// after this many attempts (each a wait and a second), about half a minute, it goes on without them.
const STATUSES_WAIT_MS = 2_000;
const UNREAD_STATUS_ATTEMPTS = 10;

/** Builds the activities that talk to receivers; tests pass their own dispatcher, environment or clock. */
export function createDeliveryActivities(deps: DeliveryActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const statusesRead = settledFlag(deps.endpointStatusesRead);

  return {
    /** POSTs the event to the target once and reports what happened; HTTP failures are results, not errors. */
    async deliverAttempt(request: AttemptRequest): Promise<AttemptResult> {
      const { info } = Context.current();
      // The attempt's time budget runs from here: waiting for the deletions and reading the event back count too.
      const budgetStart = now().getTime();
      // A retry due just as its worker (re)starts must not reach an endpoint deleted while the worker was down: until
      // the deletions have been read, an ordinary attempt fails unsent (before its span and before reading the event
      // back: nothing happened), and Temporal runs it again a second later. A local attempt does not wait: it is the
      // first of an event routed a moment ago, by routing that was ready, and the fast path would pay for the wait (one
      // rerun after its worker died, on a worker just started, may miss a deletion made meanwhile: a narrow window).
      // Past a bound (Temporal failing the listing for half a minute) the attempt goes on as it did before there was a
      // wait: a delivery stopped for good would be worse than a retry sent to an endpoint deleted meanwhile.
      if (!info.isLocal && info.attempt <= UNREAD_STATUS_ATTEMPTS && !(await statusesRead.within(STATUSES_WAIT_MS))) {
        throw ApplicationFailure.create({
          message: 'this worker has not yet read which endpoints were deleted',
          type: 'EndpointStatusesUnread',
          nextRetryDelay: '1s',
          // Expected after every restart: no error log, no failure metric.
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      const result = await inAttemptSpan(request.trace, info, () => attemptOnce(request, budgetStart));
      if (result.endpointStatus === undefined && result.throttled === undefined) deps.observeAttempt?.(observationOf(request, result));
      return result;
    },
  };

  async function attemptOnce(
    { eventId, target, knownStatusVersion = 0, event: carried, rateTicket, acceptedAt }: AttemptRequest,
    budgetStart: number,
  ): Promise<AttemptResult> {
    const context = Context.current();
    const run = context.info.workflowExecution;
    if (!run) throw ApplicationFailure.nonRetryable('deliverAttempt runs only as part of a deliverEvent workflow', 'NoWorkflow');
    const event = carried ?? (await deps.loadEvent(run));
    if (event.id !== eventId) {
      throw ApplicationFailure.nonRetryable(`workflow input holds event ${event.id}, not ${eventId}`, 'EventMismatch');
    }
    const startedAt = now();
    // Paused or disabled as this worker last read it, unless what the workflow was told (a release) is newer; deleted
    // after the event was accepted, whatever it was told since (see statusStoppingDelivery).
    const current = deps.endpointStatus?.(target.endpointId);
    const stopping = statusStoppingDelivery({ acceptedAt, knownStatusVersion }, current, deps.endpointDeletion?.(target.endpointId));
    if (stopping) {
      return {
        startedAt: startedAt.toISOString(),
        durationMs: 0,
        endpointStatus: stopping.status,
        ...(stopping.statusReason ? { endpointStatusReason: stopping.statusReason } : {}),
      };
    }
    const elapsedMs = (): number => Math.max(0, now().getTime() - startedAt.getTime());
    const failed = (error: unknown, errorClass = classifyTransportError(error)): AttemptResult => ({
      startedAt: startedAt.toISOString(),
      durationMs: elapsedMs(),
      errorClass,
      errorMessage: describeTransportError(error),
    });
    // Nothing sent: the delivery asks for a slot again at `retryAt`, with the ticket if there is one.
    const throttled = (retryAt: number, ticket: number | undefined, unanswered = false): AttemptResult => ({
      startedAt: startedAt.toISOString(),
      durationMs: 0,
      throttled: {
        retryAt: new Date(retryAt).toISOString(),
        ...(ticket === undefined ? {} : { ticket }),
        ...(unanswered ? { unanswered } : {}),
      },
    });
    // The entity had its two seconds: a second's pause before the next ask, an ordinary attempt.
    const unanswered = (ticket: number | undefined): AttemptResult => throttled(now().getTime() + 1_000, ticket, true);
    const missingSecret = (variable: string): AttemptResult =>
      failed(new Error(`environment variable ${variable} is not set on the worker`), 'missing_secret');

    // One budget for the whole attempt, inside the activity's own timeout (the request's plus 5 s): preparing (the
    // transform, the token, the slot) takes what it needs, and the request gets the rest, at most its own timeout.
    const budgetEnd = budgetStart + target.timeoutMs + PREPARATION_BUDGET_MS;
    const remainingMs = (): number => Math.max(1, budgetEnd - now().getTime());
    // The slot is asked for last, once everything else is ready: the grant stands for a request sent now. `queue:
    // false` asks for a second request's slot, which will not wait if refused.
    const refusedSlot = async (ticket: number | undefined, queue = true): Promise<AttemptResult | undefined> => {
      const { rateLimit } = target;
      if (!rateLimit || !deps.reserveSendSlot) return undefined;
      // A grant that comes back late (a loaded worker or server) is not sent on: its request could reach the
      // receiver too close to later ones. Its slot stays spent, and the same ticket asks again.
      for (let asked = 1; ; asked++) {
        const request = { ...(ticket === undefined ? {} : { ticket }), ...(queue ? {} : { queue }), timeoutMs: remainingMs() };
        const askedAt = now().getTime();
        const slot = await deps.reserveSendSlot(target.endpointId, request).catch((error: unknown) => {
          throw new SlotUnavailableError(error);
        });
        if (!slot.granted) return throttled(slot.retryAt, slot.retryAt);
        const at = now().getTime();
        if (grantStillUsable(slot, rateLimit, askedAt, at)) return undefined;
        // No queue formed while the entity kept granting, so a ticket due soon takes no one's place.
        if (asked === LATE_GRANTS_PER_ATTEMPT) return throttled(at + sendSpacingMs(rateLimit), ticket ?? at);
      }
    };

    // Heartbeats let Temporal notice within seconds that a worker died mid-request, instead of after the timeout. A
    // local attempt has none: its workflow task times out instead.
    const heartbeat = context.info.isLocal ? undefined : setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
    try {
      // What this attempt must make before it can send: the body of a transform, the token of an OAuth2 client.
      let body: string | undefined;
      if (target.transform !== undefined) {
        const outcome = deps.transformer
          ? await deps.transformer.render(target.transform, event, Math.min(TRANSFORM_WAIT_MS, remainingMs()))
          : { error: 'this worker runs no transforms', retryable: true };
        if ('error' in outcome) {
          // Only the expression's own failure is final; a busy or stopped transform process is tried again.
          if ('retryable' in outcome) return failed(new Error(`transform: ${outcome.error}`), 'other');
          deps.recordAttempt?.(target.endpointId, false, startedAt, 'transform_failed');
          return failed(new Error(`transform: ${outcome.error}`), 'transform_failed');
        }
        body = outcome.body;
      }
      const oauth2 = target.auth?.type === 'oauth2' ? target.auth : undefined;
      const clientSecret = oauth2 ? deps.env[oauth2.clientSecretEnv] : undefined;
      if (oauth2 && !clientSecret) return missingSecret(oauth2.clientSecretEnv);
      if (oauth2 && !deps.accessTokens) return failed(new Error('this worker fetches no OAuth2 tokens'), 'auth_failed');
      const outboundWith = (accessToken: string | undefined) =>
        buildOutboundRequest(event, target, startedAt, deps.env, deps.userAgent, {
          ...(body === undefined ? {} : { body }),
          ...(accessToken === undefined ? {} : { accessToken }),
        });
      // Every variable is checked before a token is asked for: a placeholder stands in for the token.
      const unset = outboundWith(oauth2 ? '' : undefined);
      if ('missingVariable' in unset) return missingSecret(unset.missingVariable);
      let url: URL;
      try {
        url = new URL(target.url);
      } catch (error) {
        return failed(error, 'invalid_url');
      }
      const blocked = checkLiteralDestination(url, deps.allowDestinations);
      if (blocked) return failed(blocked);
      const tls = target.tls ? readTlsMaterial(target.tls, deps.env) : undefined;
      if (tls && 'missingVariable' in tls) return missingSecret(tls.missingVariable);
      if (tls && !deps.clientTls) return failed(new Error('this worker has no TLS pools for endpoints’ own certificates'), 'tls');
      const signal = (): AbortSignal =>
        AbortSignal.any([AbortSignal.timeout(Math.min(target.timeoutMs, remainingMs())), context.cancellationSignal]);
      const send = async (outbound: OutboundRequest) => {
        // The attempt's span (a child of the producer's trace, when it sent a traceparent) continues at the receiver;
        // with tracing off there is no span and nothing is added.
        const headers = { ...outbound.headers };
        propagation.inject(otelContext.active(), headers);
        // The pool is taken at the moment of sending: one taken earlier may have been closed as least recently used.
        const dispatcher = tls && deps.clientTls && 'material' in tls ? deps.clientTls.dispatcherFor(tls.material) : deps.dispatcher;
        const response = await request(url, { method: 'POST', headers, body: outbound.body, dispatcher, signal: signal() });
        return { response, excerpt: await readExcerpt(response.body) };
      };

      const tokens =
        oauth2 && clientSecret && deps.accessTokens ? { client: oauth2, secret: clientSecret, source: deps.accessTokens } : undefined;
      const tokenTimeoutMs = (): number => Math.min(TOKEN_TIMEOUT_MS, remainingMs());
      let accessToken = tokens ? await tokens.source.get(tokens.client, tokens.secret, undefined, tokenTimeoutMs()) : undefined;
      const refused = await refusedSlot(rateTicket);
      if (refused) return refused;
      // Preparing took (nearly) all the time there was: no request goes out with none, and no attempt is recorded; the
      // activity fails and Temporal runs it again.
      if (remainingMs() < Math.min(target.timeoutMs, MIN_SEND_MS)) throw new PreparationTimeoutError();
      let { response, excerpt } = await send(outboundOf(outboundWith(accessToken)));
      // A token can be revoked before it expires: on a 401, one new token and one more request, within this attempt;
      // for a rate-limited endpoint, only if the limit grants the second request a slot of its own.
      if (response.statusCode === 401 && tokens && accessToken !== undefined) {
        accessToken = await tokens.source.get(tokens.client, tokens.secret, accessToken, tokenTimeoutMs());
        // A second slot the entity does not answer is refused like one it refuses: the 401 stands as the attempt's
        // answer, since a request was sent; thrown, the attempt would be sent again as if nothing had been.
        const secondRefused = await refusedSlot(undefined, false).then(Boolean, (error: unknown) => {
          if (error instanceof SlotUnavailableError) return true;
          throw error;
        });
        if (!secondRefused) ({ response, excerpt } = await send(outboundOf(outboundWith(accessToken))));
      }
      const succeeded = response.statusCode >= 200 && response.statusCode < 300;
      deps.recordAttempt?.(target.endpointId, succeeded, startedAt, succeeded ? undefined : `HTTP ${response.statusCode}`);
      return {
        startedAt: startedAt.toISOString(),
        durationMs: elapsedMs(),
        statusCode: response.statusCode,
        responseHeaders: pickHeaders(response.headers),
        ...(excerpt ? { responseBodyExcerpt: excerpt } : {}),
      };
    } catch (error) {
      // An ordinary attempt cut off by Temporal, not by the receiver: recorded as a failed attempt, it would spend one
      // of the endpoint's retries (or end its delivery) for no fault of the receiver's. Checked before what failed
      // meanwhile, which the cut-off caused. Not a local one: a stopping worker waits for its local attempts (the grace
      // is for ordinary ones), and one cut off as its workflow leaves the cache goes with that workflow task, whereas
      // a cancellation the workflow does not expect would fail the delivery.
      if (context.cancellationSignal.aborted && !context.info.isLocal) throw cutOff(context);
      // Not the receiver's doing, and no attempt: the activity fails, and Temporal tries it again. Not a local one: in
      // a delivery from before version 7 the SDK's core retries a failed local attempt inside its workflow task,
      // backing off up to a minute, and goes on doing so on a worker that is stopping (temporalio/sdk-rust#709), which
      // then cannot stop. It comes back unsent instead, whatever the delivery's version (this activity does not know
      // it), and the delivery goes on as ordinary attempts, whose retries the server keeps. (From version 7 any other
      // failed local attempt goes on as ordinary attempts too: see `deliverAttemptLocallyOnce`.)
      if (error instanceof SlotUnavailableError) {
        if (!context.info.isLocal) throw error.cause;
        context.log.warn('no send slot: the endpoint entity did not answer; the delivery asks again', {
          endpointId: target.endpointId,
          error: error.cause instanceof Error ? [error.cause.name, error.cause.message].filter(Boolean).join(': ') : String(error.cause),
        });
        return unanswered(rateTicket);
      }
      if (error instanceof PreparationTimeoutError) throw error;
      // The error's class only: its message may name the URL, which can hold a secret (Slack's do).
      deps.recordAttempt?.(target.endpointId, false, startedAt, classifyTransportError(error));
      const result = failed(error);
      // Over TLS 1.3 a receiver refuses a client certificate (or the lack of one) after the handshake, and the
      // sender sees only a closed connection: say what that usually means, for endpoints that have TLS settings.
      return target.tls && result.errorClass === 'connection_reset'
        ? { ...result, errorMessage: `${result.errorMessage ?? ''} (the receiver may have refused the client certificate, or wanted one)` }
        : result;
    } finally {
      clearInterval(heartbeat);
    }
  }
}

/**
 * What an ordinary attempt cut off by Temporal throws. Asked for (the delivery cancelled, the activity paused or
 * reset), the SDK's own cancellation, which it reports as such. Otherwise (most often a worker stopping past its grace)
 * a failure the activity's retry policy retries: another worker sends the request again, with the same webhook-id.
 */
function cutOff(context: Context): unknown {
  const details = context.cancellationDetails;
  if (details?.cancelRequested || details?.paused || details?.reset) return context.cancellationSignal.reason;
  const why = details?.workerShutdown
    ? 'the worker stopped'
    : details?.timedOut
      ? 'the activity timed out'
      : details?.notFound
        ? 'Temporal no longer knows the activity'
        : 'the activity was cancelled';
  return ApplicationFailure.retryable(`the attempt was cut off before an answer (${why})`, 'AttemptCutOff');
}

/** Preparing an attempt used up its time before anything was sent. */
class PreparationTimeoutError extends Error {
  constructor() {
    super('preparing the attempt (event, transform, token, slot) took all its time; nothing was sent');
  }
}

/** The endpoint's entity could not be asked for a send slot. */
class SlotUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the endpoint entity could not be asked for a send slot', { cause });
  }
}

// Every variable was checked before sending, so a request built now has all it needs.
function outboundOf(built: OutboundRequest | MissingSecret): OutboundRequest {
  if ('missingVariable' in built) throw new Error(`environment variable ${built.missingVariable} is not set on the worker`);
  return built;
}

function observationOf({ target, acceptedAt }: AttemptRequest, result: AttemptResult): AttemptObservation {
  const verdict = classifyAttempt(result, target.retryOnStatus);
  const endedAt = Date.parse(result.startedAt) + result.durationMs;
  const accepted = acceptedAt === undefined ? Number.NaN : Date.parse(acceptedAt);
  return {
    endpointId: target.endpointId,
    verdict,
    ...(result.errorClass ? { errorClass: result.errorClass } : {}),
    durationMs: result.durationMs,
    ...(verdict === 'delivered' && Number.isFinite(accepted) ? { deliveredAfterMs: endedAt - accepted } : {}),
  };
}

/** Whether a promise has settled: at once once it has, else after waiting for it at most `ms`. Never rejects. */
function settledFlag(promise: Promise<void> | undefined) {
  let settled = promise === undefined;
  const settling = (promise ?? Promise.resolve()).then(
    () => (settled = true),
    () => (settled = true),
  );
  return {
    within: async (ms: number): Promise<boolean> => settled || within(settling, ms, () => false),
  };
}

/** The activities' interface, for `proxyActivities` in workflows. */
export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;

/**
 * The start of an answer's body, at most 1 KiB. The status is the answer: a body cut off while it is read (the
 * attempt's time ran out, the connection broke, the worker is stopping) leaves the excerpt short, never the answer
 * unrecorded, which would send the request again to a receiver that has already taken it.
 */
async function readExcerpt(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= RESPONSE_EXCERPT_BYTES) break;
    }
  } catch {
    // What arrived before the cut is the excerpt.
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
