import type { Fuzz, FuzzRequest } from './requests.js';
import {
  CLOUD_BATCH_TYPE,
  CLOUD_TYPE,
  deep,
  garbage,
  ID_POOL,
  JSON_TYPE,
  ODD_CONTENT_TYPES,
  cloudEvent,
  junkValue,
  mutate,
  post,
  serialize,
  unknownId,
  validEvent,
} from './values.js';

// Requests that send events: single and batched, plain and CloudEvents, and redeliveries.

const IDEMPOTENCY_KEYS = Array.from({ length: 12 }, (_, i) => `fuzz-key-${i}`);

function idempotencyKey(f: Fuzz): Record<string, string> {
  const r = f.rng;
  if (!r.chance(0.3)) return {};
  return {
    'idempotency-key': r.chance(0.8) ? r.pick(IDEMPOTENCY_KEYS) : r.pick(['', ' ', 'a b', 'é', 'k'.repeat(256), `k${r.word(250)}`, '\t']),
  };
}

export function validEventRequest(f: Fuzz): FuzzRequest {
  const r = f.rng;
  if (r.chance(0.3)) {
    return post('valid-cloudevent', '/v1/events', JSON.stringify(cloudEvent(f, r.chance(0.8) ? 'pooled' : 'fresh')), {
      ...f.auth,
      'content-type': CLOUD_TYPE,
    });
  }
  const idMode = r.weighted<'none' | 'pooled' | 'fresh'>([
    [3, 'none'],
    [5, 'pooled'],
    [1, 'fresh'],
  ]);
  const headers = {
    ...f.auth,
    'content-type': r.pick([JSON_TYPE, 'application/json; charset=utf-8']),
    ...(idMode === 'none' ? idempotencyKey(f) : {}),
  };
  return post('valid-event', '/v1/events', JSON.stringify(validEvent(f, idMode)), headers);
}

export function validBatchRequest(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const size = r.int(1, 4);
  const ids = new Set<string>();
  if (r.chance(0.4)) {
    const events = Array.from({ length: size }, () => cloudEvent(f, r.chance(0.8) ? 'pooled' : 'fresh')).filter((event) => {
      const id = event['id'] as string;
      const fresh = !ids.has(id);
      ids.add(id);
      return fresh;
    });
    return post('valid-cloud-batch', '/v1/events/batch', JSON.stringify(events), { ...f.auth, 'content-type': CLOUD_BATCH_TYPE });
  }
  const events = Array.from({ length: size }, () => validEvent(f, r.chance(0.7) ? 'pooled' : 'none')).filter((event) => {
    if (event['id'] === undefined) return true;
    const id = event['id'] as string;
    const fresh = !ids.has(id);
    ids.add(id);
    return fresh;
  });
  return post('valid-batch', '/v1/events/batch', JSON.stringify({ events }), {
    ...f.auth,
    'content-type': JSON_TYPE,
    ...idempotencyKey(f),
  });
}

export function redeliverKnown(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const body = r.weighted<string | undefined>([
    [3, undefined],
    [1, '{}'],
    [1, JSON.stringify({ endpoint_id: `ep-${r.word(6)}` })],
    [1, JSON.stringify({ endpoint_id: junkValue(f) })],
  ]);
  return post('redeliver', `/v1/events/${r.pick(ID_POOL)}/redeliver`, body, {
    ...f.auth,
    ...(body === undefined ? {} : { 'content-type': JSON_TYPE }),
  });
}

export function mutatedEventRequest(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const cloud = r.chance(0.3);
  // Mutations can leave an event valid: ids from the pool bound how many of those start a workflow.
  const value = cloud ? cloudEvent(f, 'fresh') : validEvent(f, r.chance(0.05) ? 'none' : 'fresh');
  const headers = { ...f.auth, 'content-type': cloud ? CLOUD_TYPE : JSON_TYPE, ...idempotencyKey(f) };
  return post(cloud ? 'mutated-cloudevent' : 'mutated-event', '/v1/events', serialize(f, mutate(f, value)), headers);
}

export function mutatedBatchRequest(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const cloud = r.chance(0.35);
  const size = r.weighted<number>([
    [6, r.int(1, 4)],
    [1, 0],
    [1, f.target.batchMax + r.int(1, 20)],
  ]);
  const events: unknown[] = Array.from({ length: size }, () => (cloud ? cloudEvent(f, 'fresh') : validEvent(f, 'fresh')));
  // At least one event is broken, unless the batch is broken as a whole.
  const whole = r.chance(0.3) || size === 0 || size > f.target.batchMax;
  if (!whole) {
    const at = r.int(0, events.length - 1);
    events[at] = r.weighted<() => unknown>([
      [4, () => mutate(f, events[at] as Record<string, unknown>)],
      [1, () => junkValue(f)],
      [1, () => events[0]],
    ])();
  }
  let body: unknown = cloud ? events : { events };
  if (whole && r.chance(0.6)) {
    body = r.pick<unknown>([
      events,
      { events: events[0] ?? null },
      { events, extra: 1 },
      { event: events },
      { events: null },
      junkValue(f),
      { events: [events] },
    ]);
  }
  const headers = { ...f.auth, 'content-type': cloud ? CLOUD_BATCH_TYPE : JSON_TYPE, ...idempotencyKey(f) };
  return post(cloud ? 'mutated-cloud-batch' : 'mutated-batch', '/v1/events/batch', serialize(f, body), headers);
}

export function garbageRequest(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const path = r.pick(['/v1/events', '/v1/events/batch', '/v1/sources/shop', `/v1/events/${r.pick(ID_POOL)}/redeliver`]);
  const headers = {
    ...f.auth,
    'content-type': r.pick([JSON_TYPE, JSON_TYPE, CLOUD_TYPE, CLOUD_BATCH_TYPE]),
    ...(path.startsWith('/v1/sources') ? { 'x-webhook-secret': f.target.sourceSecret } : {}),
  };
  return post('garbage-body', path, garbage(f), headers);
}

export function oddContentType(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const path = r.pick([
    '/v1/events',
    '/v1/events',
    '/v1/events/batch',
    '/v1/sources/shop',
    `/v1/events/${unknownId(f)}/redeliver`,
    `/v1/endpoints/ep-${r.word(5)}/pause`,
  ]);
  const body = path.endsWith('batch') ? JSON.stringify({ events: [validEvent(f, 'fresh')] }) : JSON.stringify(validEvent(f, 'fresh'));
  const type = r.pick(ODD_CONTENT_TYPES);
  // A valid event under an odd type must not start anything; a form or multipart body is shaped as one.
  const shaped = type.startsWith('multipart')
    ? `------fuzz\r\nContent-Disposition: form-data; name="type"\r\n\r\norder.created\r\n------fuzz--\r\n`
    : type.includes('urlencoded')
      ? 'type=order.created&data=%7B%7D'
      : body;
  // A source takes any JSON under a JSON-like type (a new workflow each time), so those calls get a wrong secret.
  const jsonLike = /json|text\/plain|^\s*$/i.test(type);
  const secret = path.startsWith('/v1/sources') ? { 'x-webhook-secret': !jsonLike && r.chance(0.5) ? f.target.sourceSecret : 'wrong' } : {};
  return post('odd-content-type', path, shaped, {
    ...f.auth,
    ...secret,
    ...(type === '' && r.chance(0.5) ? {} : { 'content-type': type }),
  });
}

export function overLimit(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const size = f.target.bodyLimit + r.int(1, 3 * f.target.bodyLimit);
  const path = r.pick([
    '/v1/events',
    '/v1/events/batch',
    '/v1/sources/shop',
    '/v1/sources/nope',
    '/v1/endpoints',
    `/v1/endpoints/ep-${r.word(5)}`,
  ]);
  const body = JSON.stringify({ type: 'order.created', data: { order_id: 'big', total: 1, pad: 'x'.repeat(size) } });
  const method = path.startsWith('/v1/endpoints/') ? 'PATCH' : 'POST';
  return {
    kind: 'over-limit',
    method,
    path,
    headers: { ...f.auth, 'content-type': r.pick([JSON_TYPE, CLOUD_TYPE, 'text/plain']), 'x-webhook-secret': f.target.sourceSecret },
    body,
    transport: 'fetch',
  };
}

export function deepNesting(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const depth = r.weighted<number>([
    [2, r.int(50, 500)],
    [2, r.int(500, 3_000)],
    [1, r.int(3_000, 8_000)],
  ]);
  // Wrapped in a valid envelope, so that the nesting reaches the parts past JSON.parse. The events carry fresh ids
  // from a pool of their own, so that accepted ones stay few.
  const where = r.pick(['event', 'cloudevent', 'batch', 'source', 'bare'] as const);
  const id = `deep-${r.int(0, 15)}`;
  const nested = deep(f, depth);
  const bodies = {
    event: `{"id":"${id}","type":"user.signed_up","data":${nested}}`,
    cloudevent: `{"specversion":"1.0","id":"${id}","source":"/fuzz","type":"user.signed_up","data":${nested}}`,
    batch: `{"events":[{"id":"${id}","type":"user.signed_up","data":${nested}}]}`,
    source: `{"order_id":"deep","total":1,"extra":${nested}}`,
    bare: nested,
  };
  const path = where === 'batch' ? '/v1/events/batch' : where === 'source' ? '/v1/sources/shop' : '/v1/events';
  const headers: Record<string, string> = {
    ...f.auth,
    'content-type': where === 'cloudevent' ? CLOUD_TYPE : JSON_TYPE,
    ...(where === 'source' ? { 'x-webhook-secret': f.target.sourceSecret, 'x-delivery-id': id } : {}),
  };
  return post('deep-nesting', path, bodies[where], headers);
}
