import { describe, expect, it } from 'vitest';
import { EndpointSchema } from '../../domain/endpoint.js';
import { createGatewayMetrics } from '../../metrics/index.js';
import { parseSamples, sampleValue } from '../support/prometheus.js';

const quiet = { processMetrics: false } as const;

describe('createGatewayMetrics', () => {
  it('counts attempts by endpoint, outcome and error class, with their durations and the latency of deliveries', async () => {
    const metrics = createGatewayMetrics({ endpointLabelLimit: 10, eventTypes: [], ...quiet });
    metrics.attemptFinished({ endpointId: 'crm', verdict: 'delivered', durationMs: 40, deliveredAfterMs: 1_500 });
    metrics.attemptFinished({ endpointId: 'crm', verdict: 'retryable', errorClass: 'connection_refused', durationMs: 2 });
    const text = await metrics.render();
    expect(sampleValue(text, 'webhooks_delivery_attempts_total', { endpoint: 'crm', outcome: 'delivered', error: '' })).toBe(1);
    expect(sampleValue(text, 'webhooks_delivery_attempts_total', { outcome: 'retryable', error: 'connection_refused' })).toBe(1);
    expect(sampleValue(text, 'webhooks_delivery_attempt_duration_seconds_count', { endpoint: 'crm' })).toBe(2);
    expect(sampleValue(text, 'webhooks_delivery_latency_seconds_sum', { endpoint: 'crm' })).toBe(1.5);
    expect(sampleValue(text, 'webhooks_delivery_latency_seconds_bucket', { endpoint: 'crm', le: '1' })).toBe(0);
    expect(sampleValue(text, 'webhooks_delivery_latency_seconds_bucket', { endpoint: 'crm', le: '5' })).toBe(1);
  });

  it('names endpoints up to the limit and counts the rest as other', async () => {
    const metrics = createGatewayMetrics({ endpointLabelLimit: 2, eventTypes: [], ...quiet });
    for (const endpointId of ['a', 'b', 'c', 'd']) metrics.attemptFinished({ endpointId, verdict: 'delivered', durationMs: 1 });
    const endpoints = parseSamples(await metrics.render())
      .filter((sample) => sample.name === 'webhooks_delivery_attempts_total')
      .map((sample) => [sample.labels['endpoint'], sample.value]);
    expect(endpoints).toEqual([
      ['a', 1],
      ['b', 1],
      ['other', 2],
    ]);
  });

  it('keeps the catalogue’s event types and counts any other as other', async () => {
    const metrics = createGatewayMetrics({ endpointLabelLimit: 100, eventTypes: ['order.created'], ...quiet });
    metrics.eventOutcome('order.created', 'accepted');
    metrics.eventOutcome('x.y', 'refused', 'unknown-type');
    metrics.eventOutcome('endpoint.disabled', 'accepted');
    const text = await metrics.render();
    expect(sampleValue(text, 'webhooks_events_total', { type: 'order.created', outcome: 'accepted' })).toBe(1);
    expect(sampleValue(text, 'webhooks_events_total', { type: 'other', outcome: 'refused', reason: 'unknown-type' })).toBe(1);
    expect(sampleValue(text, 'webhooks_events_total', { type: 'other', outcome: 'accepted' })).toBe(1);
  });

  it('times only accepted ingest answers, and counts every answer with its problem type', async () => {
    const metrics = createGatewayMetrics({ endpointLabelLimit: 100, eventTypes: [], ...quiet });
    metrics.ingestAnswered({ route: '/v1/events', status: 202, durationMs: 12 });
    metrics.ingestAnswered({ route: '/v1/events', status: 503, problem: 'temporal-unavailable', durationMs: 5_000 });
    const text = await metrics.render();
    expect(sampleValue(text, 'webhooks_ingest_requests_total', { code: '503', problem: 'temporal-unavailable' })).toBe(1);
    expect(sampleValue(text, 'webhooks_ingest_duration_seconds_count', { route: '/v1/events' })).toBe(1);
    expect(sampleValue(text, 'webhooks_ingest_duration_seconds_sum', { route: '/v1/events' })).toBe(0.012);
  });

  it('shows the status of the watched endpoints at each scrape, each once, until unwatched', async () => {
    const metrics = createGatewayMetrics({ endpointLabelLimit: 100, eventTypes: [], ...quiet });
    const endpoint = EndpointSchema.parse({ id: 'crm', url: 'https://crm.example/hooks', events: ['*'] });
    const unwatch = metrics.watchEndpoints(() => [{ ...endpoint, status: 'paused', failing: true }]);
    metrics.watchEndpoints(() => [{ ...endpoint, status: 'active' }]);
    let text = await metrics.render();
    expect(sampleValue(text, 'webhooks_endpoint_status', { endpoint: 'crm', status: 'paused' })).toBe(1);
    expect(sampleValue(text, 'webhooks_endpoint_status', { endpoint: 'crm' })).toBe(1);
    expect(sampleValue(text, 'webhooks_endpoint_failing', { endpoint: 'crm' })).toBe(1);
    unwatch();
    text = await metrics.render();
    expect(sampleValue(text, 'webhooks_endpoint_status', { endpoint: 'crm', status: 'active' })).toBe(1);
    expect(sampleValue(text, 'webhooks_endpoint_failing', { endpoint: 'crm' })).toBe(0);
  });

  it('shows every watched endpoint’s attempt outcomes at 0 where attempts run, so that rate() sees the first', async () => {
    const metrics = createGatewayMetrics({ endpointLabelLimit: 100, eventTypes: [], ...quiet });
    const endpoint = EndpointSchema.parse({ id: 'crm', url: 'https://crm.example/hooks', events: ['*'] });
    metrics.watchEndpoints(() => [{ ...endpoint, status: 'active' }]);
    const outcomes = async (): Promise<[string | undefined, number][]> =>
      parseSamples(await metrics.render())
        .filter((sample) => sample.name === 'webhooks_delivery_attempts_total' && sample.labels['endpoint'] === 'crm')
        .map((sample) => [sample.labels['outcome'], sample.value]);
    // An API process runs none: it shows no attempt series at all.
    expect(await outcomes()).toEqual([]);
    const stopped = metrics.runsDeliveries();
    expect(await outcomes()).toEqual([
      ['delivered', 0],
      ['retryable', 0],
      ['rejected', 0],
      ['gone', 0],
    ]);
    metrics.attemptFinished({ endpointId: 'crm', verdict: 'retryable', durationMs: 3 });
    stopped();
    // Counters are never taken back: what was shown stays, and a new endpoint gets none.
    metrics.watchEndpoints(() => [{ ...endpoint, id: 'billing', status: 'active' }]);
    expect(await outcomes()).toEqual([
      ['delivered', 0],
      ['retryable', 1],
      ['rejected', 0],
      ['gone', 0],
    ]);
    expect(
      parseSamples(await metrics.render()).some(
        (sample) => sample.labels['endpoint'] === 'billing' && sample.name.startsWith('webhooks_delivery'),
      ),
    ).toBe(false);
  });

  it('appends other sources to a scrape, and leaves out one that fails', async () => {
    const metrics = createGatewayMetrics({ endpointLabelLimit: 100, eventTypes: [], ...quiet });
    metrics.addSource(() => Promise.resolve('temporal_workflow_completed_total 3\n'));
    metrics.addSource(() => Promise.reject(new Error('the core exporter is not up yet')));
    const text = await metrics.render();
    expect(sampleValue(text, 'temporal_workflow_completed_total')).toBe(3);
    expect(text).toContain('# TYPE webhooks_events_total counter');
  });

  it('reports deliveries waiting per endpoint from the health view, read at most once per interval, the last rows kept on failure', async () => {
    const metrics = createGatewayMetrics({ endpointLabelLimit: 100, eventTypes: [], ...quiet });
    let reads = 0;
    let fail = false;
    metrics.watchWaitingDeliveries(() => {
      reads++;
      return fail
        ? Promise.reject(new Error('visibility is not answering'))
        : Promise.resolve([{ endpointId: 'crm', retrying: 3, held: reads }]);
    }, 60_000);
    let text = await metrics.render();
    expect(sampleValue(text, 'webhooks_endpoint_deliveries_retrying', { endpoint: 'crm' })).toBe(3);
    expect(sampleValue(text, 'webhooks_endpoint_deliveries_held', { endpoint: 'crm' })).toBe(1);
    await metrics.render();
    expect(reads).toBe(1);

    const stale = createGatewayMetrics({ endpointLabelLimit: 100, eventTypes: [], ...quiet });
    stale.watchWaitingDeliveries(() => {
      reads++;
      return fail
        ? Promise.reject(new Error('visibility is not answering'))
        : Promise.resolve([{ endpointId: 'crm', retrying: 5, held: 0 }]);
    }, 0);
    await stale.render();
    fail = true;
    text = await stale.render();
    expect(sampleValue(text, 'webhooks_endpoint_deliveries_retrying', { endpoint: 'crm' })).toBe(5);
  });
});
