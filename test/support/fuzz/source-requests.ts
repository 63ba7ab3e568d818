import type { Fuzz, FuzzRequest } from './requests.js';
import {
  ID_POOL,
  JSON_TYPE,
  ODD_CONTENT_TYPES,
  deepValue,
  encode,
  garbage,
  junkString,
  junkValue,
  mutate,
  orderData,
  post,
  serialize,
} from './values.js';

// Calls to inbound sources. Behind its secret, `shop` starts a workflow for any order its schema takes: the right
// secret mostly comes with a broken body, and delivery ids from pools bound how many workflows the rest start.

export function validSourceCall(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const headers: Record<string, string> = {
    'x-webhook-secret': f.target.sourceSecret,
    ...(r.chance(0.8) ? { 'content-type': r.pick([JSON_TYPE, 'application/vnd.shop+json', 'text/plain']) } : {}),
    ...(r.chance(0.5) ? { 'x-delivery-id': r.chance(0.7) ? r.pick(ID_POOL) : r.pick(['a b c', 'é'.repeat(10), 'x'.repeat(300)]) } : {}),
  };
  const data = r.chance(0.1) ? { ...orderData(f), extra: deepValue(f, r.int(50, 500)) } : orderData(f);
  return post('valid-source-call', '/v1/sources/shop', JSON.stringify(data), headers);
}

export function sourceCall(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const secret = f.target.sourceSecret;
  const source = r.weighted<string>([
    [5, 'shop'],
    [3, 'legacy'],
    [1, 'nope'],
    [1, 'SHOP'],
    [1, encode(junkString(f)) || 'z'],
  ]);
  const right = { 'x-webhook-secret': secret };
  const headers: Record<string, string> = {
    ...r.weighted<Record<string, string>>([
      [3, {}],
      [2, { 'x-webhook-secret': 'wrong' }],
      [1, { 'x-webhook-secret': '' }],
      [1, { 'x-webhook-secret': `${secret}x` }],
      [1, { 'x-webhook-secret': secret.toUpperCase() }],
      [1, { 'x-webhook-secret': secret.slice(1) }],
      [1, { 'x-webhook-secret': 's'.repeat(r.int(100, 5_000)) }],
      [1, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }],
      [1, { authorization: `Bearer ${secret}` }],
      [3, right],
    ]),
  };
  let body: string | Buffer | undefined;
  if (headers['x-webhook-secret'] === secret && source === 'shop') {
    // The right secret with a broken body: the schema of order.created refuses most, and a delivery id from a pool
    // bounds how many workflows the few valid orders among them start.
    body = r.weighted<() => string | Buffer>([
      [3, () => serialize(f, mutate(f, orderData(f)))],
      [2, () => garbage(f)],
      [1, () => JSON.stringify(junkValue(f))],
    ])();
    headers['x-delivery-id'] = `src-${r.int(0, 31)}`;
  } else {
    body = r.chance(0.9) ? r.pick([JSON.stringify(orderData(f)), serialize(f, junkValue(f)), '']) : undefined;
  }
  const typed = r.chance(0.8) ? { 'content-type': r.pick([JSON_TYPE, JSON_TYPE, ...ODD_CONTENT_TYPES]) } : {};
  const method = r.chance(0.9) ? 'POST' : r.pick(['PUT', 'PATCH', 'DELETE']);
  return {
    kind: 'source-call',
    method,
    path: `/v1/sources/${source}`,
    headers: { ...headers, ...typed },
    ...(body === undefined ? {} : { body }),
    transport: 'fetch',
  };
}
