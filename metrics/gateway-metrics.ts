import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config/schema.js';
import { ATTEMPT_VERDICTS } from '../domain/delivery.js';
import type { AttemptObservation, IngestAnswer } from '../domain/observations.js';
import type { RoutableEndpoint } from '../domain/endpoint-state.js';
import { createLabelBound } from '../domain/label-bound.js';

/** How the gateway's metrics are labelled; from the `metrics` section of the configuration. */
export interface MetricsSettings {
  /** Endpoint ids that get a series of their own; the rest are counted as `other`. */
  readonly endpointLabelLimit: number;
  /** The catalogue's event types, which always keep their names; with a catalogue, any other type is `other`. */
  readonly eventTypes: readonly string[];
  /** Node's own process metrics (CPU, memory, event-loop delay, garbage collection). Default: true. */
  readonly processMetrics?: boolean;
}

/** What became of an event handed to ingest: the kinds of `AcceptResult`, `refused` with the reason, or `failed` start. */
export type EventOutcome = 'accepted' | 'replayed' | 'conflict' | 'refused' | 'failed';

/** The metrics of one process: what its API and its worker observe, and how a scrape reads them. */
export interface GatewayMetrics {
  /** The media type of {@link GatewayMetrics.render}'s text. */
  readonly contentType: string;
  /** Every metric in Prometheus's text format, with what any added source (the Temporal SDK's) adds. */
  render(): Promise<string>;
  eventOutcome(type: string, outcome: EventOutcome, reason?: string): void;
  ingestAnswered(answer: IngestAnswer): void;
  attemptFinished(attempt: AttemptObservation): void;
  /**
   * Says this process runs delivery attempts (it has a worker), until the function returned is called: every watched
   * endpoint's attempt series then exist from the first scrape, at 0. An API process's would stay 0 forever.
   */
  runsDeliveries(): () => void;
  /**
   * Reports the status of these endpoints at each scrape (several lists: each gateway of the process has one), until
   * the function returned is called.
   */
  watchEndpoints(list: () => readonly RoutableEndpoint[]): () => void;
  /** Appends another exporter's text to each scrape. */
  addSource(scrape: () => Promise<string>): void;
  /**
   * Reports each endpoint's deliveries retrying and held now, from the health view (`read`), read again at a scrape
   * only when the last read is older than `maxAgeMs`: an API process has the view, a worker does not.
   */
  watchWaitingDeliveries(read: () => Promise<readonly WaitingDeliveries[]>, maxAgeMs?: number): void;
}

/** What waits for an endpoint now, as the health view counts it. */
export interface WaitingDeliveries {
  readonly endpointId: string;
  readonly retrying: number;
  readonly held: number;
}

/** Every metric name this module exports; the dashboard's test checks its queries against it. */
export const METRIC_NAMES = [
  'webhooks_events_total',
  'webhooks_ingest_requests_total',
  'webhooks_ingest_duration_seconds',
  'webhooks_delivery_attempts_total',
  'webhooks_delivery_attempt_duration_seconds',
  'webhooks_delivery_latency_seconds',
  'webhooks_endpoint_status',
  'webhooks_endpoint_failing',
  'webhooks_endpoint_deliveries_retrying',
  'webhooks_endpoint_deliveries_held',
] as const;

// The health view lists the endpoint entities and counts waiting retries: at most once per this long, however often
// Prometheus scrapes (every 15 s by default).
const WAITING_MAX_AGE_MS = 30_000;

const ENDPOINT_STATUSES = ['active', 'paused', 'disabled'] as const;

/** The metrics a process's configuration asks for. */
export function metricsFromConfig(config: Config): GatewayMetrics {
  return createGatewayMetrics({
    endpointLabelLimit: config.metrics.endpoint_label_limit,
    eventTypes: config.event_types.map((entry) => entry.type),
  });
}

/**
 * Builds a process's metrics on a registry of its own (not prom-client's global one, which a user's process may fill
 * with metrics of its own). Labels that users' data decides are bounded: see {@link createLabelBound}.
 */
export function createGatewayMetrics(settings: MetricsSettings): GatewayMetrics {
  const registry = new Registry();
  if (settings.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const endpointLabel = createLabelBound(settings.endpointLabelLimit);
  const typeLabel = createLabelBound(settings.eventTypes.length > 0 ? 0 : settings.endpointLabelLimit, settings.eventTypes);
  const registers = [registry];
  const sources: (() => Promise<string>)[] = [];
  const endpointLists: (() => readonly RoutableEndpoint[])[] = [];
  let workers = 0;
  const eachEndpoint = (report: (endpoint: RoutableEndpoint) => void): void => {
    const seen = new Set<string>();
    for (const list of endpointLists) {
      for (const endpoint of list()) {
        if (seen.has(endpoint.id)) continue;
        seen.add(endpoint.id);
        report(endpoint);
      }
    }
  };

  const events = new Counter({
    name: 'webhooks_events_total',
    help: 'Events handed to ingest, by type, outcome (accepted, replayed, conflict, refused, failed: Temporal did not confirm) and the reason of a refusal',
    labelNames: ['type', 'outcome', 'reason'] as const,
    registers,
  });
  const ingestRequests = new Counter({
    name: 'webhooks_ingest_requests_total',
    help: 'Answered requests to the ingest routes, by route, status code and problem type',
    labelNames: ['route', 'code', 'problem'] as const,
    registers,
  });
  const ingestDuration = new Histogram({
    name: 'webhooks_ingest_duration_seconds',
    help: 'Time from request to answer of the ingest routes that accepted (2xx): the event was durably in Temporal',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const attempts = new Counter({
    name: 'webhooks_delivery_attempts_total',
    help: 'Delivery attempts, by endpoint, outcome (delivered, retryable, rejected, gone) and transport error class',
    labelNames: ['endpoint', 'outcome', 'error'] as const,
    registers,
    // Where attempts run, every known endpoint's series of HTTP outcomes exist from the first scrape, at 0: a series
    // that first shows up already counting hides its first attempts from rate(), and an endpoint with no delivered
    // series at all would drop out of a success rate instead of showing 0.
    collect() {
      if (workers === 0) return;
      eachEndpoint((endpoint) => {
        for (const outcome of ATTEMPT_VERDICTS) this.inc({ endpoint: endpointLabel(endpoint.id), outcome, error: '' }, 0);
      });
    },
  });
  const attemptDuration = new Histogram({
    name: 'webhooks_delivery_attempt_duration_seconds',
    help: 'Duration of delivery attempts, from the request going out to the answer (or the failure)',
    labelNames: ['endpoint'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const latency = new Histogram({
    name: 'webhooks_delivery_latency_seconds',
    help: 'Time from an event’s acceptance to its successful delivery to an endpoint, retries included',
    labelNames: ['endpoint'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15, 60, 300, 1_800, 3_600, 21_600, 86_400],
    registers,
  });
  new Gauge({
    name: 'webhooks_endpoint_status',
    help: 'Each endpoint’s status as routing last read it: 1 for the status it has (active, paused, disabled), 0 for the others',
    labelNames: ['endpoint', 'status'] as const,
    registers,
    collect() {
      this.reset();
      eachEndpoint((endpoint) => {
        for (const status of ENDPOINT_STATUSES)
          this.set({ endpoint: endpointLabel(endpoint.id), status }, endpoint.status === status ? 1 : 0);
      });
    },
  });
  new Gauge({
    name: 'webhooks_endpoint_failing',
    help: 'Whether an endpoint’s last attempts failed (1) or its last attempt succeeded (0), by its entity’s health counters',
    labelNames: ['endpoint'] as const,
    registers,
    collect() {
      this.reset();
      eachEndpoint((endpoint) => this.set({ endpoint: endpointLabel(endpoint.id) }, endpoint.failing ? 1 : 0));
    },
  });

  let readWaiting: (() => Promise<readonly WaitingDeliveries[]>) | undefined;
  const waitingGauge = (name: string, help: string, count: (waiting: WaitingDeliveries) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['endpoint'] as const,
      registers,
      async collect() {
        if (!readWaiting) return;
        const rows = await readWaiting();
        this.reset();
        for (const row of rows) this.inc({ endpoint: endpointLabel(row.endpointId) }, count(row));
      },
    });
  };
  waitingGauge(
    'webhooks_endpoint_deliveries_retrying',
    'Running deliveries routed to an endpoint that wait to retry, as the health view counts them (API processes only)',
    (row) => row.retrying,
  );
  waitingGauge(
    'webhooks_endpoint_deliveries_held',
    'Deliveries an endpoint’s entity holds until it is resumed (API processes only)',
    (row) => row.held,
  );

  return {
    contentType: registry.contentType,
    async render() {
      const texts = await Promise.all([registry.metrics(), ...sources.map((scrape) => scrape().catch(() => ''))]);
      return texts.filter((text) => text.length > 0).join('\n');
    },
    eventOutcome(type, outcome, reason = '') {
      events.inc({ type: typeLabel(type), outcome, reason });
    },
    ingestAnswered({ route, status, problem = '', durationMs }) {
      ingestRequests.inc({ route, code: String(status), problem });
      if (status >= 200 && status < 300) ingestDuration.observe({ route }, durationMs / 1_000);
    },
    attemptFinished({ endpointId, verdict, errorClass = '', durationMs, deliveredAfterMs }) {
      const endpoint = endpointLabel(endpointId);
      attempts.inc({ endpoint, outcome: verdict, error: errorClass });
      attemptDuration.observe({ endpoint }, durationMs / 1_000);
      if (deliveredAfterMs !== undefined) latency.observe({ endpoint }, Math.max(0, deliveredAfterMs) / 1_000);
    },
    runsDeliveries() {
      workers++;
      let stopped = false;
      return () => {
        if (!stopped) workers--;
        stopped = true;
      };
    },
    watchEndpoints(list) {
      endpointLists.push(list);
      return () => {
        const index = endpointLists.indexOf(list);
        if (index !== -1) endpointLists.splice(index, 1);
      };
    },
    addSource(scrape) {
      sources.push(scrape);
    },
    watchWaitingDeliveries(read, maxAgeMs = WAITING_MAX_AGE_MS) {
      let last: { at: number; rows: readonly WaitingDeliveries[] } | undefined;
      let reading: Promise<readonly WaitingDeliveries[]> | undefined;
      // One read at a time, and a failed read keeps the last rows: a scrape never fails for it.
      readWaiting = async () => {
        if (last && Date.now() - last.at < maxAgeMs) return last.rows;
        reading ??= read()
          .then((rows) => (last = { at: Date.now(), rows }).rows)
          .catch(() => last?.rows ?? [])
          .finally(() => (reading = undefined));
        return reading;
      };
    },
  };
}
