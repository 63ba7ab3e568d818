import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { acceptedWorkflowIds, credentialFault, problemBodyFault, SENDING_ROUTE, show, succeeded } from '../support/fuzz/checks.js';
import { parseSeed } from '../support/fuzz/random.js';
import { requestSequence, type FuzzTarget } from '../support/fuzz/requests.js';
import { describeError, runBounded, send, type Outcome } from '../support/fuzz/send.js';
import { startApi, type TestApi } from '../support/gateway.js';

// Ten thousand random and malformed requests against the real API, on loopback and a few at a time: none may get a
// 5xx, hang or drop its connection, every refusal is a problem body, nothing under /v1 gets in without credentials, and
// every event the API says it accepted is a workflow in Temporal. The requests depend on the seed alone, and the seed
// is fixed unless FUZZ_SEED says otherwise, so that CI sends the same requests every run and a failure there replays
// anywhere: FUZZ_SEED=<seed> replays a run, FUZZ_SEED=random tries new requests.

const SEED = parseSeed(process.env['FUZZ_SEED'], 20261123);
const REQUESTS = 10_000;
const CONCURRENCY = 16;
/** No request may take longer: one that does is a hang. */
const REQUEST_TIMEOUT_MS = 30_000;
/** The whole run stops sending after this, so a slow server fails the count instead of the test timeout. */
const RUN_BUDGET_MS = 120_000;
const BODY_LIMIT = 16_384;
const BATCH_MAX = 10;

const ENV = { FUZZ_KEY: 'fuzz-key-0123456789abcdef', SRC_SECRET: 'source-secret-0123456789' };
const TARGET: FuzzTarget = { apiKey: ENV.FUZZ_KEY, sourceSecret: ENV.SRC_SECRET, bodyLimit: BODY_LIMIT, batchMax: BATCH_MAX };
const ORDER_SCHEMA = {
  type: 'object',
  required: ['order_id', 'total'],
  properties: { order_id: { type: 'string' }, total: { type: 'number', minimum: 0 }, email: { type: 'string', format: 'email' } },
};

function report(title: string, offenders: readonly string[]): string {
  return `${title} (seed ${SEED}; replay with FUZZ_SEED=${SEED}), ${offenders.length} in all; the first:\n${offenders.slice(0, 8).join('\n')}`;
}

let api: TestApi;
let outcomes: Outcome[] = [];
let runMs = 0;

beforeAll(async () => {
  api = await startApi(
    {
      api: {
        rate_limits: { global: null, per_key: null, per_source: null },
        keys: [{ id: 'fuzzer', key_env: 'FUZZ_KEY', scopes: ['ingest', 'manage'] }],
        batch_max: BATCH_MAX,
        body_limit_bytes: BODY_LIMIT,
      },
      event_types: [{ type: 'order.created', description: 'a customer placed an order', schema: ORDER_SCHEMA }, { type: 'user.signed_up' }],
      sources: [
        { id: 'shop', event_type: 'order.created', auth: { mode: 'secret', secret_env: 'SRC_SECRET' }, id_header: 'x-delivery-id' },
        { id: 'legacy', event_type: 'user.signed_up', enabled: false, auth: { mode: 'secret', secret_env: 'SRC_SECRET' } },
      ],
    },
    ENV,
  );
  const nextRequest = requestSequence(SEED, TARGET);
  const started = Date.now();
  // Requests are made in index order, from one generator, so the sequence depends on the seed alone.
  outcomes = await runBounded(REQUESTS, CONCURRENCY, started + RUN_BUDGET_MS, (index) =>
    send(api.url, nextRequest(), index, REQUEST_TIMEOUT_MS),
  );
  runMs = Date.now() - started;
  outcomes.sort((a, b) => a.index - b.index);
  const statuses = new Map<string, number>();
  for (const outcome of outcomes) {
    const key = outcome.status === undefined ? 'error' : String(outcome.status);
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }
  const distribution = [...statuses].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => `${status}: ${count}`);
  console.log(`fuzz seed ${SEED}: ${outcomes.length} requests in ${runMs} ms; ${distribution.join(', ')}`);
}, 180_000);

afterAll(async () => {
  await api?.stop();
});

describe(`fuzzing the API (seed ${SEED})`, () => {
  test('sends at least 10,000 requests and gets an answer to each, none of them a 5xx', () => {
    const dropped = outcomes.filter((outcome) => outcome.error !== undefined).map((outcome) => show(outcome));
    const failed = outcomes.filter((outcome) => (outcome.status ?? 0) >= 500).map((outcome) => show(outcome));

    expect.soft(outcomes.length, `only ${outcomes.length} requests in ${runMs} ms`).toBeGreaterThanOrEqual(REQUESTS);
    expect.soft(dropped.length, report('requests without an answer (a hang, a reset, a crash)', dropped)).toBe(0);
    expect.soft(failed.length, report('5xx answers', failed)).toBe(0);
  });

  test('answers every refusal with a problem body whose status is the answer’s', () => {
    const faults = outcomes.flatMap((outcome) => {
      if (outcome.status === undefined || outcome.status < 400) return [];
      const fault = problemBodyFault(outcome);
      return fault ? [show(outcome, fault)] : [];
    });

    expect(faults.length, report('error answers that are not problem bodies', faults)).toBe(0);
  });

  test('every event it accepted is a workflow in Temporal, and nothing else it sent was taken', async () => {
    const ids = new Set<string>();
    const faults: string[] = [];
    let accepted = 0;
    for (const outcome of outcomes.filter(succeeded)) {
      const { method, path } = outcome.request;
      if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') continue;
      if (method !== 'POST' || !SENDING_ROUTE.test(path)) {
        faults.push(show(outcome, 'taken, though the fuzzer sends only broken changes there'));
        continue;
      }
      accepted++;
      const { ids: named, fault } = acceptedWorkflowIds(outcome);
      if (fault) faults.push(show(outcome, fault));
      for (const id of named) ids.add(id);
    }
    const workflowIds = [...ids];
    const missing: string[] = [];
    const checked = await runBounded(workflowIds.length, CONCURRENCY, Date.now() + 90_000, async (index) => {
      const workflowId = workflowIds[index] as string;
      try {
        const description = await api.client.workflow.getHandle(workflowId).describe();
        if (description.type !== 'deliverEvent') missing.push(`${workflowId}: a ${description.type} workflow`);
      } catch (error) {
        missing.push(`${workflowId}: ${describeError(error)}`);
      }
    });
    console.log(`fuzz seed ${SEED}: ${accepted} answers took events, naming ${workflowIds.length} workflows`);

    expect.soft(faults.length, report('2xx answers that are not an accepted event with its workflow', faults)).toBe(0);
    expect.soft(checked.length, 'every workflow is looked up').toBe(workflowIds.length);
    expect.soft(missing.length, report('accepted workflows Temporal does not know', missing)).toBe(0);
    // Enough were accepted that the checks above mean something.
    expect(accepted).toBeGreaterThan(50);
    expect(workflowIds.length).toBeGreaterThan(50);
  }, 120_000);

  test('lets nothing under /v1 in without the key, nor a source call without its secret', () => {
    const faults = outcomes.filter(succeeded).flatMap((outcome) => {
      const fault = credentialFault(outcome.request, TARGET);
      return fault ? [show(outcome, fault)] : [];
    });

    expect(faults.length, report('2xx answers without credentials', faults)).toBe(0);
  });

  test('is still alive afterwards', async () => {
    const response = await fetch(`${api.url}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});
