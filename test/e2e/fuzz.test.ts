import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApi, type TestApi } from '../support/gateway.js';

// Ten thousand random and malformed requests against the real API, on loopback and a few at a time: none may get a
// 5xx, hang or drop its connection, every refusal is a problem body, and every event the API says it accepted is a
// workflow in Temporal. The sequence of requests depends only on the seed: FUZZ_SEED=<seed> replays a run.

const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
const REQUESTS = 10_000;
const CONCURRENCY = 16;
/** No request may take longer: one that does is a hang. */
const REQUEST_TIMEOUT_MS = 30_000;
/** The whole run stops sending after this, so a slow server fails the count instead of the test timeout. */
const RUN_BUDGET_MS = 120_000;
const BODY_LIMIT = 16_384;
const BATCH_MAX = 10;

const ENV = { FUZZ_KEY: 'fuzz-key-0123456789abcdef', SRC_SECRET: 'source-secret-0123456789' };
const ORDER_SCHEMA = {
  type: 'object',
  required: ['order_id', 'total'],
  properties: { order_id: { type: 'string' }, total: { type: 'number', minimum: 0 }, email: { type: 'string', format: 'email' } },
};

// ---------------------------------------------------------------------------------------------------------------
// A seeded PRNG (mulberry32) and the few ways the generators use it.

class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  weighted<T>(entries: readonly (readonly [number, T])[]): T {
    const total = entries.reduce((sum, [weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [weight, value] of entries) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return (entries[entries.length - 1] as readonly [number, T])[1];
  }
  word(length = this.int(1, 12), alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What a fuzzed request is, and what came of it.

interface FuzzRequest {
  /** The generator that made it, for the distribution and for reports. */
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body?: string | Buffer;
  /** `http`: node:http, for what fetch refuses to send (a GET with a body, odd methods, repeated headers). */
  readonly transport: 'fetch' | 'http';
}

interface Outcome {
  readonly index: number;
  readonly request: FuzzRequest;
  readonly status?: number;
  readonly contentType?: string;
  readonly text?: string;
  readonly error?: string;
  readonly ms: number;
}

const AUTH = { authorization: `Bearer ${ENV.FUZZ_KEY}` };
const JSON_TYPE = 'application/json';
const CLOUD_TYPE = 'application/cloudevents+json';
const CLOUD_BATCH_TYPE = 'application/cloudevents-batch+json';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const ODD_METHODS = ['TRACE', 'PROPFIND', 'SEARCH', 'MKCOL', 'PURGE', 'LOCK'] as const;
const ACTIONS = ['pause', 'resume', 'disable', 'enable', 'deliveries', 'recover', 'test', 'nope', ''] as const;
/** Event ids that come back: a repeat with the same content is replayed, with other content a conflict. */
const ID_POOL = Array.from({ length: 24 }, (_, i) => `fuzz-${i}`);
const IDEMPOTENCY_KEYS = Array.from({ length: 12 }, (_, i) => `fuzz-key-${i}`);

const ODD_CONTENT_TYPES = [
  CLOUD_TYPE,
  CLOUD_BATCH_TYPE,
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----fuzz',
  'multipart/form-data',
  'application/json; charset=latin1',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json;charset=utf-16',
  'application/json; boundary=x',
  'application/json;;;',
  'application/json, text/plain',
  'APPLICATION/JSON',
  ' application/json',
  'application/vnd.api+json',
  'application/problem+json',
  'application/ld+json',
  'application/jsonx',
  'application/',
  '/json',
  'json',
  '*/*',
  'application/*',
  'application/octet-stream',
  'text/html',
  'text/json',
  '',
  ';',
  'application/json; charset=',
  'application/json; charset="utf-8"',
  `application/json; x=${'y'.repeat(3000)}`,
] as const;

const UNICODE = ['é', 'ß', '日本', '🎉', '\u200b', '\u202e', '\u0000', '\ud800', '\udfff', '\ufeff', '\\', '"', '\n', '%00', '\u2028'];

const JUNK_PATHS = [
  '/',
  '//',
  '/v1',
  '/v1/',
  '/v2/events',
  '/V1/EVENTS',
  '/v1/events/',
  '/v1/events//batch',
  '//v1//events',
  '/v1/events/batch/',
  '/v1/events/../endpoints',
  '/v1/events/%2e%2e/endpoints',
  '/v1/../../../etc/passwd',
  '/..%2f..%2f..%2fetc%2fpasswd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/v1/events%00',
  '/v1/events%2fbatch',
  '/v1/events;jsessionid=1',
  '/v1/events/%',
  '/v1/events/%E0%A4%A',
  '/v1/events/%ZZ',
  '/v1/events/%C0%AF',
  '/v1/events/%ff%fe',
  '/v1/sources/%',
  '/v1/endpoints/%E0%A4%A/pause',
  '/v1/events/%F0%9F%8E%89',
  '/v1/events/%20',
  '/healthz/',
  '/healthz/../openapi.json',
  '/openapi.json/',
  '/openapi.yaml',
  '/docs',
  '/docs/',
  '/docs/json',
  '/docs/yaml',
  '/docs/static/index.html',
  '/docs/static/../../../package.json',
  '/docs/static/%2e%2e/%2e%2e/package.json',
  '/docs/static/nope.js',
  '/favicon.ico',
  '/robots.txt',
  '/.env',
  '/.git/config',
  '/server-status',
  '/v1/events?a=1&a=2&a[]=3',
  '/v1/events?__proto__[x]=1',
  '/v1/endpoints?constructor[prototype][x]=1',
  '/*',
  '/v1/*',
] as const;

/** Percent-encodes the UTF-8 bytes of `text`; unlike encodeURIComponent, a lone surrogate does not throw. */
function encode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

// ---------------------------------------------------------------------------------------------------------------
// The generators: each makes one request. Valid ones are rare (they start workflows); the rest are broken somehow.

class Fuzzer {
  constructor(private readonly rng: Random) {}

  // --- values ---

  private junkString(): string {
    const r = this.rng;
    return r.weighted<() => string>([
      [4, () => r.word()],
      [2, () => r.word(r.int(1, 6)) + r.pick(UNICODE) + r.word(r.int(0, 6))],
      [1, () => ''],
      [1, () => ' '],
      [1, () => 'x'.repeat(r.int(200, 12_000))],
      [1, () => r.pick(UNICODE).repeat(r.int(1, 300))],
      [1, () => String(r.int(-1e9, 1e9))],
      [1, () => r.pick(['null', 'true', 'undefined', 'NaN', '{}', '[]', '__proto__', 'constructor', '${x}', "'; DROP TABLE x;--"])],
    ])();
  }

  junkValue(depth = 0): unknown {
    const r = this.rng;
    const leaf = r.weighted<() => unknown>([
      [3, () => this.junkString()],
      [2, () => r.int(-1e6, 1e6)],
      [1, () => r.pick([0, -0, 1.5, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER])],
      [1, () => r.chance(0.5)],
      [2, () => null],
    ]);
    if (depth > 3) return leaf();
    return r.weighted<() => unknown>([
      [6, leaf],
      [1, () => Array.from({ length: r.int(0, 5) }, () => this.junkValue(depth + 1))],
      [
        1,
        () => Object.fromEntries(Array.from({ length: r.int(0, 5) }, () => [r.pick([r.word(), 'constructor', 'prototype', '']), this.junkValue(depth + 1)])),
      ],
    ])();
  }

  /** A JSON text nested `depth` deep, with `inner` at the bottom. */
  deep(depth: number, inner = '1'): string {
    const r = this.rng;
    if (r.chance(0.5)) return '['.repeat(depth) + inner + ']'.repeat(depth);
    return '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
  }

  /** An id for an event body, from a pool: the events that get through start at most one workflow per id. */
  private eventId(): string {
    return `fz-${this.rng.int(0, 149)}`;
  }

  /** An id for a path, which names no event. */
  private unknownId(): string {
    return `nx-${this.rng.word(12)}`;
  }

  private orderData(): Record<string, unknown> {
    const r = this.rng;
    return { order_id: `o-${r.word(6)}`, total: r.int(0, 100_000) / 100, ...(r.chance(0.3) ? { email: `${r.word(5)}@example.com` } : {}) };
  }

  /** A valid event object; with `pooled`, its id comes from the pool and its content is fixed by the id half the time. */
  validEvent(idMode: 'none' | 'pooled' | 'fresh'): Record<string, unknown> {
    const r = this.rng;
    const type = r.pick(['order.created', 'user.signed_up']);
    if (idMode === 'pooled') {
      const index = r.int(0, ID_POOL.length - 1);
      const same = r.chance(0.6);
      const fixed = { id: ID_POOL[index], type: index % 2 ? 'order.created' : 'user.signed_up', timestamp: '2026-01-15T10:30:00Z' };
      return same ? { ...fixed, data: index % 2 ? { order_id: `o-${index}`, total: index } : { n: index } } : { ...fixed, data: index % 2 ? this.orderData() : { n: r.int(0, 1e6) } };
    }
    return {
      ...(idMode === 'fresh' ? { id: this.eventId() } : {}),
      type,
      ...(r.chance(0.5) ? { timestamp: new Date(Date.UTC(2026, 0, r.int(1, 28), r.int(0, 23))).toISOString() } : {}),
      ...(type === 'order.created' ? { data: this.orderData() } : r.chance(0.7) ? { data: this.junkValue() } : {}),
    };
  }

  cloudEvent(idMode: 'pooled' | 'fresh'): Record<string, unknown> {
    const r = this.rng;
    const event = this.validEvent(idMode);
    const base64 = r.chance(0.2);
    return {
      specversion: '1.0',
      id: event['id'] ?? this.eventId(),
      source: r.pick(['/fuzz', 'urn:fuzz', 'https://example.com/x']),
      type: event['type'],
      ...(event['timestamp'] ? { time: event['timestamp'] } : {}),
      ...(r.chance(0.3) ? { subject: r.word() } : {}),
      ...(r.chance(0.2) ? { fuzzext: r.word() } : {}),
      ...(base64
        ? { datacontenttype: 'application/json', data_base64: Buffer.from(JSON.stringify(event['data'] ?? {})).toString('base64') }
        : event['data'] === undefined
          ? {}
          : { data: event['data'] }),
    };
  }

  /** Breaks a JSON object in one to three ways. */
  mutate(value: Record<string, unknown>): Record<string, unknown> {
    const r = this.rng;
    const out: Record<string, unknown> = { ...value };
    for (let i = r.int(1, 3); i > 0; i--) {
      const keys = Object.keys(out);
      const key = keys.length > 0 && r.chance(0.8) ? r.pick(keys) : r.pick(['id', 'type', 'data', 'timestamp', 'events', 'specversion', 'source']);
      r.weighted<() => void>([
        [3, () => delete out[key]],
        [3, () => (out[key] = this.junkValue())],
        [2, () => (out[key] = null)],
        [1, () => (out[key] = typeof out[key] === 'number' ? String(out[key]) : Number(out[key]))],
        [1, () => (out[key] = [out[key]])],
        [1, () => (out[key] = { value: out[key] })],
        [1, () => (out[key] = `${String(out[key])}${r.pick(UNICODE)}`)],
        [1, () => (out[key] = 'x'.repeat(r.int(150, 5_000)))],
        [1, () => (out[r.word()] = this.junkValue())],
        [1, () => (out['constructor'] = { prototype: { polluted: true } })],
        [1, () => (out['data'] = this.deepValue(r.int(20, 400)))],
        [
          1,
          () =>
            (out[key] = r.pick([
              '',
              '.',
              'a..b',
              'order created',
              'order.*',
              '../x',
              'a/b',
              '-x',
              'x'.repeat(201),
              '2026-13-45T99:99:99Z',
              '2026-01-01T00:00:00',
              '9999-12-31T23:59:59Z',
              '0000-01-01T00:00:00Z',
              '2026-01-01T00:00:00.123456789+14:00',
              'yesterday',
              '0.9',
              '1.0 ',
            ])),
        ],
      ])();
    }
    return out;
  }

  private deepValue(depth: number): unknown {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = this.rng.chance(0.5) ? [value] : { a: value };
    return value;
  }

  /** Serializes, sometimes with text-level damage JSON.stringify cannot express. */
  serialize(value: unknown): string {
    const r = this.rng;
    const text = JSON.stringify(value) ?? 'null';
    return r.weighted<() => string>([
      [14, () => text],
      [1, () => (text.startsWith('{') ? `{"__proto__":{"polluted":true},${text.slice(1)}` : text)],
      [1, () => (text.startsWith('{"') ? `{"type":"dup.type",${text.slice(1)}` : text)],
      [1, () => `\ufeff${text}`],
      [1, () => ` \n\t${text}\n `],
      [1, () => text.replace(/\d+/, '1e400')],
      [1, () => text.replace(/:/, ': 01')],
    ])();
  }

  garbage(): string | Buffer {
    const r = this.rng;
    const valid = JSON.stringify(this.validEvent('none'));
    return r.weighted<() => string | Buffer>([
      [3, () => valid.slice(0, r.int(0, valid.length - 1))],
      [2, () => Buffer.from(Array.from({ length: r.int(1, 2_000) }, () => r.int(0, 255)))],
      [1, () => ''],
      [1, () => ' '],
      [1, () => 'null'],
      [1, () => 'true'],
      [1, () => '"order.created"'],
      [1, () => '12345'],
      [1, () => '[]'],
      [1, () => '{}'],
      [1, () => '{"type":"order.created",}'],
      [1, () => "{'type':'order.created'}"],
      [1, () => '{"type":"order.created"}{"type":"order.created"}'],
      [1, () => '{"type":"order.created","data":NaN}'],
      [1, () => '{"type":"order.created","data":undefined}'],
      [1, () => '{"type":"order.created","data":"\\ud800"}'],
      [1, () => '{"type":"order.created","data":"\u0000"}'],
      [1, () => 'type=order.created&data=1'],
      [1, () => '<xml><type>order.created</type></xml>'],
      [1, () => Buffer.concat([Buffer.from('{"type":"order.created","data":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')])],
      [1, () => Buffer.from('{"type":"order.created"}', 'utf16le')],
      [1, () => this.deep(r.int(1_000, 8_000))],
    ])();
  }

  private authorization(): Record<string, string> {
    const r = this.rng;
    return r.weighted<() => Record<string, string>>([
      [10, () => AUTH],
      [2, () => ({})],
      [1, () => ({ authorization: '' })],
      [1, () => ({ authorization: 'Bearer' })],
      [1, () => ({ authorization: 'Bearer ' })],
      [1, () => ({ authorization: `bearer ${ENV.FUZZ_KEY}` })],
      [1, () => ({ authorization: `Bearer   ${ENV.FUZZ_KEY}   ` })],
      [1, () => ({ authorization: `Bearer ${ENV.FUZZ_KEY} extra` })],
      [1, () => ({ authorization: `Bearer ${ENV.FUZZ_KEY.slice(0, -1)}` })],
      [1, () => ({ authorization: `Bearer ${ENV.FUZZ_KEY}x` })],
      [1, () => ({ authorization: `Basic ${Buffer.from(`fuzzer:${ENV.FUZZ_KEY}`).toString('base64')}` })],
      [1, () => ({ authorization: ENV.FUZZ_KEY })],
      [1, () => ({ authorization: `Bearer ${'k'.repeat(r.int(100, 6_000))}` })],
      [1, () => ({ authorization: `Bearer ${r.word(20, 'abc\u00e9\u00ff!#$%&*+-.^_|~')}` })],
      [1, () => ({ authorization: `Token ${ENV.FUZZ_KEY}` })],
    ])();
  }

  private idempotencyKey(): Record<string, string> {
    const r = this.rng;
    if (!r.chance(0.3)) return {};
    return { 'idempotency-key': r.chance(0.8) ? r.pick(IDEMPOTENCY_KEYS) : r.pick(['', ' ', 'a b', 'é', 'k'.repeat(256), `k${r.word(250)}`, '\t']) };
  }

  /** An event id for a path: one no event has, as reading an event that exists waits for a worker (there is none). */
  private pathEventId(): string {
    if (this.rng.chance(0.7)) return this.unknownId();
    const junk = encode(this.junkString());
    return /^[A-Za-z0-9][A-Za-z0-9._:@+=-]*$/.test(junk) ? `nx-${junk}` : junk || 'nx';
  }

  private realPath(): string {
    const r = this.rng;
    const endpointId = r.chance(0.6) ? `ep-${r.word(8)}` : encode(this.junkString()) || 'x';
    const sourceId = r.pick(['shop', 'legacy', 'nope', r.word(), encode(this.junkString()) || 'y']);
    return r.pick([
      '/v1/events',
      '/v1/events/batch',
      `/v1/events/${this.pathEventId()}`,
      `/v1/events/${r.chance(0.2) ? r.pick(ID_POOL) : this.pathEventId()}/redeliver`,
      '/v1/event-types',
      '/v1/endpoints',
      `/v1/endpoints/${endpointId}`,
      `/v1/endpoints/${endpointId}/${r.pick(ACTIONS)}`,
      '/v1/sources',
      `/v1/sources/${sourceId}`,
      `/v1/sources/${sourceId}/invocations`,
      '/openapi.json',
      '/healthz',
      '/readyz',
    ]);
  }

  /** A body for a request that is not meant to be valid, on whichever route. */
  private anyBody(): { body?: string | Buffer; type?: string } {
    const r = this.rng;
    return r.weighted<() => { body?: string | Buffer; type?: string }>([
      [2, () => ({})],
      [3, () => ({ body: this.serialize(this.mutate(this.validEvent('fresh'))), type: r.pick([JSON_TYPE, JSON_TYPE, ...ODD_CONTENT_TYPES]) })],
      [2, () => ({ body: this.garbage(), type: r.pick([JSON_TYPE, ...ODD_CONTENT_TYPES]) })],
      [1, () => ({ body: this.serialize(this.junkValue()), type: JSON_TYPE })],
    ])();
  }

  // --- requests ---

  next(): FuzzRequest {
    const r = this.rng;
    const make = r.weighted<() => FuzzRequest>([
      // Valid, or nearly: the only ones that start workflows, so kept to a few hundred.
      [90, () => this.validEventRequest()],
      [25, () => this.validBatchRequest()],
      [40, () => this.validSourceCall()],
      [15, () => this.redeliverKnown()],
      // Broken.
      [1_800, () => this.mutatedEventRequest()],
      [800, () => this.mutatedBatchRequest()],
      [1_000, () => this.garbageRequest()],
      [700, () => this.oddContentType()],
      [200, () => this.overLimit()],
      [200, () => this.deepNesting()],
      [900, () => this.sourceCall()],
      [700, () => this.authVariant()],
      [1_200, () => this.randomMethod()],
      [800, () => this.junkPath()],
      [600, () => this.endpointRequest()],
      [300, () => this.readRequest()],
      [400, () => this.rawRequest()],
    ]);
    return make();
  }

  private post(kind: string, path: string, body: string | Buffer | undefined, headers: Record<string, string>): FuzzRequest {
    return { kind, method: 'POST', path, headers, ...(body === undefined ? {} : { body }), transport: 'fetch' };
  }

  private validEventRequest(): FuzzRequest {
    const r = this.rng;
    if (r.chance(0.3)) {
      return this.post('valid-cloudevent', '/v1/events', JSON.stringify(this.cloudEvent(r.chance(0.8) ? 'pooled' : 'fresh')), { ...AUTH, 'content-type': CLOUD_TYPE });
    }
    const idMode = r.weighted<'none' | 'pooled' | 'fresh'>([
      [3, 'none'],
      [5, 'pooled'],
      [1, 'fresh'],
    ]);
    const headers = { ...AUTH, 'content-type': r.pick([JSON_TYPE, 'application/json; charset=utf-8']), ...(idMode === 'none' ? this.idempotencyKey() : {}) };
    return this.post('valid-event', '/v1/events', JSON.stringify(this.validEvent(idMode)), headers);
  }

  private validBatchRequest(): FuzzRequest {
    const r = this.rng;
    const size = r.int(1, 4);
    const ids = new Set<string>();
    if (r.chance(0.4)) {
      const events = Array.from({ length: size }, () => this.cloudEvent(r.chance(0.8) ? 'pooled' : 'fresh')).filter((event) => {
        const id = event['id'] as string;
        const fresh = !ids.has(id);
        ids.add(id);
        return fresh;
      });
      return this.post('valid-cloud-batch', '/v1/events/batch', JSON.stringify(events), { ...AUTH, 'content-type': CLOUD_BATCH_TYPE });
    }
    const events = Array.from({ length: size }, () => this.validEvent(r.chance(0.7) ? 'pooled' : 'none')).filter((event) => {
      if (event['id'] === undefined) return true;
      const id = event['id'] as string;
      const fresh = !ids.has(id);
      ids.add(id);
      return fresh;
    });
    return this.post('valid-batch', '/v1/events/batch', JSON.stringify({ events }), { ...AUTH, 'content-type': JSON_TYPE, ...this.idempotencyKey() });
  }

  private validSourceCall(): FuzzRequest {
    const r = this.rng;
    const headers: Record<string, string> = {
      'x-webhook-secret': ENV.SRC_SECRET,
      ...(r.chance(0.8) ? { 'content-type': r.pick([JSON_TYPE, 'application/vnd.shop+json', 'text/plain']) } : {}),
      ...(r.chance(0.5) ? { 'x-delivery-id': r.chance(0.7) ? r.pick(ID_POOL) : r.pick(['a b c', 'é'.repeat(10), 'x'.repeat(300)]) } : {}),
    };
    const data = r.chance(0.1) ? { ...this.orderData(), extra: this.deepValue(r.int(50, 500)) } : this.orderData();
    return this.post('valid-source-call', '/v1/sources/shop', JSON.stringify(data), headers);
  }

  private redeliverKnown(): FuzzRequest {
    const r = this.rng;
    const body = r.weighted<string | undefined>([
      [3, undefined],
      [1, '{}'],
      [1, JSON.stringify({ endpoint_id: `ep-${r.word(6)}` })],
      [1, JSON.stringify({ endpoint_id: this.junkValue() })],
    ]);
    return this.post('redeliver', `/v1/events/${r.pick(ID_POOL)}/redeliver`, body, { ...AUTH, ...(body === undefined ? {} : { 'content-type': JSON_TYPE }) });
  }

  private mutatedEventRequest(): FuzzRequest {
    const r = this.rng;
    const cloud = r.chance(0.3);
    // Mutations can leave an event valid: ids from the pool bound how many of those start a workflow.
    const value = cloud ? this.cloudEvent('fresh') : this.validEvent(r.chance(0.05) ? 'none' : 'fresh');
    const headers = { ...AUTH, 'content-type': cloud ? CLOUD_TYPE : JSON_TYPE, ...this.idempotencyKey() };
    return this.post(cloud ? 'mutated-cloudevent' : 'mutated-event', '/v1/events', this.serialize(this.mutate(value)), headers);
  }

  private mutatedBatchRequest(): FuzzRequest {
    const r = this.rng;
    const cloud = r.chance(0.35);
    const size = r.weighted<number>([
      [6, r.int(1, 4)],
      [1, 0],
      [1, BATCH_MAX + r.int(1, 20)],
    ]);
    const events: unknown[] = Array.from({ length: size }, () => (cloud ? this.cloudEvent('fresh') : this.validEvent('fresh')));
    // At least one event is broken, unless the batch is broken as a whole.
    const whole = r.chance(0.3) || size === 0 || size > BATCH_MAX;
    if (!whole) {
      const at = r.int(0, events.length - 1);
      events[at] = r.weighted<() => unknown>([
        [4, () => this.mutate(events[at] as Record<string, unknown>)],
        [1, () => this.junkValue()],
        [1, () => events[0]],
      ])();
    }
    let body: unknown = cloud ? events : { events };
    if (whole && r.chance(0.6)) {
      body = r.pick<unknown>([events, { events: events[0] ?? null }, { events, extra: 1 }, { event: events }, { events: null }, this.junkValue(), { events: [events] }]);
    }
    const headers = { ...AUTH, 'content-type': cloud ? CLOUD_BATCH_TYPE : JSON_TYPE, ...this.idempotencyKey() };
    return this.post(cloud ? 'mutated-cloud-batch' : 'mutated-batch', '/v1/events/batch', this.serialize(body), headers);
  }

  private garbageRequest(): FuzzRequest {
    const r = this.rng;
    const path = r.pick(['/v1/events', '/v1/events/batch', '/v1/sources/shop', `/v1/events/${r.pick(ID_POOL)}/redeliver`]);
    const headers = {
      ...AUTH,
      'content-type': r.pick([JSON_TYPE, JSON_TYPE, CLOUD_TYPE, CLOUD_BATCH_TYPE]),
      ...(path.startsWith('/v1/sources') ? { 'x-webhook-secret': ENV.SRC_SECRET } : {}),
    };
    return this.post('garbage-body', path, this.garbage(), headers);
  }

  private oddContentType(): FuzzRequest {
    const r = this.rng;
    const path = r.pick(['/v1/events', '/v1/events', '/v1/events/batch', '/v1/sources/shop', `/v1/events/${this.unknownId()}/redeliver`, `/v1/endpoints/ep-${r.word(5)}/pause`]);
    const body = path.endsWith('batch') ? JSON.stringify({ events: [this.validEvent('fresh')] }) : JSON.stringify(this.validEvent('fresh'));
    const type = r.pick(ODD_CONTENT_TYPES);
    // A valid event under an odd type must not start anything; a form or multipart body is shaped as one.
    const shaped = type.startsWith('multipart')
      ? `------fuzz\r\nContent-Disposition: form-data; name="type"\r\n\r\norder.created\r\n------fuzz--\r\n`
      : type.includes('urlencoded')
        ? 'type=order.created&data=%7B%7D'
        : body;
    const secret = path.startsWith('/v1/sources') ? { 'x-webhook-secret': r.chance(0.5) ? ENV.SRC_SECRET : 'wrong' } : {};
    // Under a JSON-like type the source accepts any JSON, so an accepted call would be a new workflow: send it with a wrong secret.
    const safeSecret = path.startsWith('/v1/sources') && /json|text\/plain|^\s*$/i.test(type) ? { 'x-webhook-secret': 'wrong' } : secret;
    return this.post('odd-content-type', path, shaped, { ...AUTH, ...safeSecret, ...(type === '' && r.chance(0.5) ? {} : { 'content-type': type }) });
  }

  private overLimit(): FuzzRequest {
    const r = this.rng;
    const size = BODY_LIMIT + r.int(1, 3 * BODY_LIMIT);
    const path = r.pick(['/v1/events', '/v1/events/batch', '/v1/sources/shop', '/v1/sources/nope', '/v1/endpoints', `/v1/endpoints/ep-${r.word(5)}`]);
    const body = JSON.stringify({ type: 'order.created', data: { order_id: 'big', total: 1, pad: 'x'.repeat(size) } });
    const method = path.startsWith('/v1/endpoints/') ? 'PATCH' : 'POST';
    return {
      kind: 'over-limit',
      method,
      path,
      headers: { ...AUTH, 'content-type': r.pick([JSON_TYPE, CLOUD_TYPE, 'text/plain']), 'x-webhook-secret': ENV.SRC_SECRET },
      body,
      transport: 'fetch',
    };
  }

  private deepNesting(): FuzzRequest {
    const r = this.rng;
    const depth = r.weighted<number>([
      [2, r.int(50, 500)],
      [2, r.int(500, 3_000)],
      [1, r.int(3_000, 8_000)],
    ]);
    // Wrapped in a valid envelope, so that the nesting reaches the parts past JSON.parse. The events carry fresh ids
    // from a pool of their own, so that accepted ones stay few.
    const where = r.pick(['event', 'cloudevent', 'batch', 'source', 'bare'] as const);
    const id = `deep-${r.int(0, 15)}`;
    const deep = this.deep(depth);
    const bodies = {
      event: `{"id":"${id}","type":"user.signed_up","data":${deep}}`,
      cloudevent: `{"specversion":"1.0","id":"${id}","source":"/fuzz","type":"user.signed_up","data":${deep}}`,
      batch: `{"events":[{"id":"${id}","type":"user.signed_up","data":${deep}}]}`,
      source: `{"order_id":"deep","total":1,"extra":${deep}}`,
      bare: deep,
    };
    const path = where === 'batch' ? '/v1/events/batch' : where === 'source' ? '/v1/sources/shop' : '/v1/events';
    const headers: Record<string, string> = {
      ...AUTH,
      'content-type': where === 'cloudevent' ? CLOUD_TYPE : JSON_TYPE,
      ...(where === 'source' ? { 'x-webhook-secret': ENV.SRC_SECRET, 'x-delivery-id': id } : {}),
    };
    return this.post('deep-nesting', path, bodies[where], headers);
  }

  private sourceCall(): FuzzRequest {
    const r = this.rng;
    const source = r.weighted<string>([
      [5, 'shop'],
      [3, 'legacy'],
      [1, 'nope'],
      [1, 'SHOP'],
      [1, encode(this.junkString()) || 'z'],
    ]);
    const secret = r.weighted<Record<string, string>>([
      [3, {}],
      [2, { 'x-webhook-secret': 'wrong' }],
      [1, { 'x-webhook-secret': '' }],
      [1, { 'x-webhook-secret': `${ENV.SRC_SECRET} ` }],
      [1, { 'x-webhook-secret': ENV.SRC_SECRET.toUpperCase() }],
      [1, { 'x-webhook-secret': ENV.SRC_SECRET.slice(1) }],
      [1, { 'x-webhook-secret': 's'.repeat(r.int(100, 5_000)) }],
      [1, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }],
      [1, { authorization: `Bearer ${ENV.SRC_SECRET}` }],
      // The right secret, with a body the schema of order.created refuses, or one that is not JSON.
      [3, { 'x-webhook-secret': ENV.SRC_SECRET, 'x-fuzz-broken': '1' }],
    ]);
    const rightSecret = secret['x-webhook-secret'] === ENV.SRC_SECRET;
    const { 'x-fuzz-broken': _broken, ...headers }: Record<string, string> = secret;
    let body: string | Buffer | undefined;
    if (rightSecret && source === 'shop') {
      body = r.weighted<() => string | Buffer>([
        [3, () => this.serialize(this.mutate(this.orderData()))],
        [2, () => this.garbage()],
        [1, () => JSON.stringify(this.junkValue())],
      ])();
      // A mutated order can still be a valid one: a delivery id from a pool bounds how many of those start a workflow.
      headers['x-delivery-id'] = `src-${r.int(0, 31)}`;
    } else {
      body = r.chance(0.9) ? r.pick([JSON.stringify(this.orderData()), this.serialize(this.junkValue()), '']) : undefined;
    }
    const typed = r.chance(0.8) ? { 'content-type': r.pick([JSON_TYPE, JSON_TYPE, ...ODD_CONTENT_TYPES]) } : {};
    const method = r.chance(0.9) ? 'POST' : r.pick(['PUT', 'PATCH', 'DELETE']);
    return { kind: 'source-call', method, path: `/v1/sources/${source}`, headers: { ...headers, ...typed }, ...(body === undefined ? {} : { body }), transport: 'fetch' };
  }

  private authVariant(): FuzzRequest {
    const r = this.rng;
    const path = r.pick(['/v1/events', '/v1/events/batch', '/v1/event-types', '/v1/endpoints', `/v1/events/${this.unknownId()}`, '/v1/sources', '/v1/sources/shop/invocations']);
    const method = path === '/v1/events' || path === '/v1/events/batch' ? 'POST' : 'GET';
    const auth = this.authorization();
    // With the right key an event would be accepted: keep it broken unless the key is wrong.
    const body = method === 'GET' ? undefined : auth === AUTH ? this.serialize(this.mutate(this.validEvent('fresh'))) : JSON.stringify(this.validEvent('fresh'));
    const withBody = body === undefined ? {} : { body };
    return { kind: 'auth', method, path, headers: { ...auth, ...(body === undefined ? {} : { 'content-type': JSON_TYPE }) }, ...withBody, transport: 'fetch' };
  }

  private randomMethod(): FuzzRequest {
    const r = this.rng;
    const path = this.realPath();
    let method: string = r.pick(METHODS);
    // A test send waits for a delivery: never POSTed here.
    if (method === 'POST' && /^\/v1\/endpoints\/[^/]+\/test$/.test(path)) method = r.pick(['GET', 'PUT', 'DELETE', 'PATCH']);
    const { type, ...rest } = this.anyBody();
    let { body } = rest;
    // Where a valid body would create an endpoint, the body has a field the strict schemas refuse.
    if (method === 'POST' && path === '/v1/endpoints' && body !== undefined) {
      body = this.serialize({ ...this.mutate({ id: `ep-${r.word(6)}`, url: 'http://127.0.0.1:9/x' }), 'fuzz-unknown': 1 });
    }
    const canHaveBody = method !== 'GET' && method !== 'HEAD' && body !== undefined;
    return {
      kind: 'random-method',
      method,
      path,
      headers: {
        ...AUTH,
        ...(canHaveBody && type !== undefined ? { 'content-type': type } : {}),
        // Sources get a wrong secret here: the right one is for the source generators, which bound what they start.
        ...(path.startsWith('/v1/sources') ? { 'x-webhook-secret': r.chance(0.5) ? 'wrong' : '' } : {}),
      },
      ...(canHaveBody ? { body } : {}),
      transport: 'fetch',
    };
  }

  private junkPath(): FuzzRequest {
    const r = this.rng;
    const path = r.weighted<() => string>([
      [5, () => r.pick(JUNK_PATHS)],
      [2, () => `/${Array.from({ length: r.int(1, 6) }, () => encode(this.junkString()).slice(0, 300)).join('/')}`],
      [1, () => `/v1/events/${'a'.repeat(r.int(90, 260))}`],
      [1, () => `/v1/events/${'a'.repeat(r.int(90, 260))}/redeliver`],
      [1, () => `/v1/endpoints/${'a'.repeat(r.int(90, 260))}`],
      [1, () => `/v1/sources/${'s'.repeat(r.int(90, 260))}`],
      [1, () => `/${'seg/'.repeat(r.int(100, 2_000))}`],
      [1, () => `/v1/events?${Array.from({ length: r.int(1, 300) }, () => `${r.word(4)}=${encode(this.junkString()).slice(0, 50)}`).join('&')}`],
      [1, () => `/v1/event-types?${'q'.repeat(r.int(1_000, 12_000))}`],
      [1, () => `${this.realPath()}?${r.pick(['%', '%zz', '&&&', '=', 'a=%E0%A4%A', '__proto__=1', 'page_size=-1'])}`],
      [1, () => `${this.realPath()}${r.pick(['/', '//', '/.', '/..', '%2F', '%00', '/%2e%2e', '.json', '~', '*'])}`],
    ])();
    const method = r.pick(METHODS);
    const canHaveBody = method !== 'GET' && method !== 'HEAD';
    const body = canHaveBody && r.chance(0.4) ? this.serialize(this.mutate(this.validEvent('fresh'))) : undefined;
    return {
      kind: 'junk-path',
      method,
      path,
      headers: { ...this.authorization(), ...(body === undefined ? {} : { 'content-type': JSON_TYPE }) },
      ...(body === undefined ? {} : { body }),
      transport: 'fetch',
    };
  }

  private endpointRequest(): FuzzRequest {
    const r = this.rng;
    // Ids the route accepts name no endpoint; the rest break EndpointIdSchema. /test only ever gets the broken ones.
    const wellFormed = `ep-${r.word(8)}`;
    const broken = encode(r.pick(['EP', 'Ep-1', '-x', '_x', 'a.b', 'a b', 'é', 'x'.repeat(101), this.junkString()])) || 'X';
    const id = r.chance(0.6) ? wellFormed : broken;
    const badEndpoint = () => this.serialize({ ...this.mutate({ id: r.chance(0.5) ? wellFormed : broken, url: 'http://127.0.0.1:9/x', events: ['*'] }), 'fuzz-unknown': this.junkValue() });
    const json = { ...AUTH, 'content-type': JSON_TYPE };
    return r.weighted<() => FuzzRequest>([
      [3, () => ({ kind: 'endpoints', method: 'POST', path: '/v1/endpoints', headers: json, body: badEndpoint(), transport: 'fetch' })],
      [1, () => ({ kind: 'endpoints', method: 'POST', path: '/v1/endpoints', headers: json, body: this.garbage(), transport: 'fetch' })],
      [2, () => ({ kind: 'endpoints', method: 'PATCH', path: `/v1/endpoints/${id}`, headers: json, body: this.serialize(r.chance(0.5) ? this.junkValue() : { url: this.junkValue() }), transport: 'fetch' })],
      [1, () => ({ kind: 'endpoints', method: 'PATCH', path: `/v1/endpoints/${id}`, headers: json, body: JSON.stringify({ id: 'other' }), transport: 'fetch' })],
      [1, () => ({ kind: 'endpoints', method: 'DELETE', path: `/v1/endpoints/${id}`, headers: AUTH, transport: 'fetch' })],
      [1, () => ({ kind: 'endpoints', method: 'GET', path: `/v1/endpoints/${id}`, headers: AUTH, transport: 'fetch' })],
      [
        3,
        () => {
          const action = r.pick(['pause', 'resume', 'disable', 'enable'] as const);
          const body = r.pick([undefined, '{}', JSON.stringify({ reason: this.junkValue() }), JSON.stringify({ reason: 'x'.repeat(501) }), this.serialize(this.junkValue())]);
          return { kind: 'endpoints', method: 'POST', path: `/v1/endpoints/${id}/${action}`, headers: body === undefined ? AUTH : json, ...(body === undefined ? {} : { body }), transport: 'fetch' };
        },
      ],
      [
        2,
        () => {
          const query = r.pick([
            '',
            '?status=failed',
            `?status=${encode(this.junkString())}`,
            `?since=${encode(r.pick(['2026-01-01T00:00:00Z', 'yesterday', '2026-01-01', '', '9999-12-31T23:59:59+14:00']))}`,
            `?page_size=${r.pick(['0', '1', '100', '101', '-5', '1.5', 'abc', '1e3', '', '99999999999999999999'])}`,
            `?page_token=${r.pick([r.word(20), 'AAAA', '%', encode(this.junkString()), 'x'.repeat(2_001), Buffer.from(r.word(40)).toString('base64url')])}`,
            `?unknown=1`,
            `?status=failed&status=held`,
          ]);
          return { kind: 'endpoints', method: 'GET', path: `/v1/endpoints/${id}/deliveries${query}`, headers: AUTH, transport: 'fetch' };
        },
      ],
      [
        1,
        () => {
          const query = r.pick(['', '?since=yesterday', '?since=2026-01-01T00:00:00Z', '?since=', '?since=2026-01-01T00:00:00Z&x=1', `?since=${encode(this.junkString())}`]);
          return { kind: 'endpoints', method: 'POST', path: `/v1/endpoints/${id}/recover${query}`, headers: AUTH, transport: 'fetch' };
        },
      ],
      [1, () => ({ kind: 'endpoints', method: 'POST', path: `/v1/endpoints/${broken}/test`, headers: AUTH, transport: 'fetch' })],
      [1, () => ({ kind: 'endpoints', method: r.pick(['GET', 'PUT', 'DELETE', 'PATCH']), path: `/v1/endpoints/${id}/test`, headers: AUTH, transport: 'fetch' })],
    ])();
  }

  private readRequest(): FuzzRequest {
    const r = this.rng;
    const path = r.pick([
      '/healthz',
      '/readyz',
      '/openapi.json',
      '/v1/event-types',
      '/v1/sources',
      '/v1/sources/shop',
      '/v1/sources/legacy',
      `/v1/sources/${r.word()}`,
      '/v1/sources/shop/invocations',
      '/v1/sources/legacy/invocations',
      `/v1/sources/${r.word()}/invocations`,
      '/v1/endpoints',
      `/v1/events/${this.pathEventId()}`,
    ]);
    return { kind: 'read', method: r.chance(0.85) ? 'GET' : 'HEAD', path, headers: r.chance(0.9) ? AUTH : {}, transport: 'fetch' };
  }

  /** What fetch will not send: bodies on GET and HEAD, methods outside the usual, repeated headers. */
  private rawRequest(): FuzzRequest {
    const r = this.rng;
    const path = r.chance(0.7) ? this.realPath() : r.pick(JUNK_PATHS);
    const safePath = path === '/v1/events' || path === '/v1/events/batch' || path === '/v1/endpoints' || /\/(redeliver|test)$/.test(path) || path === '/v1/sources/shop';
    return r.weighted<() => FuzzRequest>([
      [
        3,
        () => ({
          kind: 'raw-get-with-body',
          method: r.pick(['GET', 'HEAD', 'DELETE', 'OPTIONS']),
          path,
          headers: { ...AUTH, 'content-type': JSON_TYPE },
          body: JSON.stringify(this.validEvent('fresh')),
          transport: 'http',
        }),
      ],
      [2, () => ({ kind: 'raw-odd-method', method: r.pick(ODD_METHODS), path, headers: AUTH, transport: 'http' })],
      [
        2,
        () => ({
          kind: 'raw-repeated-headers',
          method: 'POST',
          path: r.pick(['/v1/events', '/v1/sources/shop', '/v1/events/batch']),
          headers: {
            authorization: [AUTH.authorization, 'Bearer wrong'],
            'content-type': [JSON_TYPE, 'text/plain'],
            'x-webhook-secret': [ENV.SRC_SECRET, ENV.SRC_SECRET],
            'idempotency-key': ['a', 'b'],
          },
          body: '{"type":"order.created","data":{"order_id":"dup","total":-1}}',
          transport: 'http',
        }),
      ],
      [
        2,
        () => ({
          kind: 'raw-post',
          method: r.pick(['POST', 'PUT', 'PATCH']),
          path: safePath ? `${path}/x` : path,
          headers: { ...AUTH, 'content-type': r.pick(ODD_CONTENT_TYPES) },
          body: this.garbage(),
          transport: 'http',
        }),
      ],
    ])();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sending.

async function send(api: TestApi, request: FuzzRequest, index: number): Promise<Outcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    if (request.transport === 'http') return { index, request, ...(await sendRaw(api.url, request)), ms: elapsed() };
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) for (const one of [value].flat()) headers.append(name, one);
    const response = await fetch(`${api.url}${request.path}`, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = Buffer.from(await response.arrayBuffer()).toString('utf8');
    return { index, request, status: response.status, contentType: response.headers.get('content-type') ?? '', text, ms: elapsed() };
  } catch (error) {
    return { index, request, error: describeError(error), ms: elapsed() };
  }
}

function sendRaw(baseUrl: string, request: FuzzRequest): Promise<{ status: number; contentType: string; text: string }> {
  const url = new URL(baseUrl);
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  // A connection of its own, with the length stated: node:http sends a GET's or HEAD's body without one, which the
  // server would read as the next request on a shared connection.
  const headers = { ...request.headers, ...(body === undefined ? {} : { 'content-length': String(body.length) }) };
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method: request.method, path: request.path, headers, agent: false, timeout: REQUEST_TIMEOUT_MS },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}

/** Runs `work` over `count` items with at most `limit` in flight, stopping new ones once `deadline` has passed. */
async function runBounded<T>(count: number, limit: number, deadline: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      const index = next++;
      results.push(await work(index));
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}

// ---------------------------------------------------------------------------------------------------------------
// Checking.

/** Why an error answer is not a problem body, or `undefined` if it is one. */
function problemBodyFault(outcome: Outcome): string | undefined {
  const { status, contentType = '', text = '', request } = outcome;
  if (!/^application\/problem\+json/i.test(contentType)) return `content-type is "${contentType}"`;
  if (request.method === 'HEAD') return undefined;
  let body: { type?: unknown; title?: unknown; status?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return 'body is not JSON';
  }
  if (body === null || typeof body !== 'object') return 'body is not an object';
  if (typeof body.type !== 'string' || typeof body.title !== 'string') return 'type or title missing';
  if (body.status !== status) return `status ${String(body.status)} in a ${String(status)} answer`;
  return undefined;
}

const SENDING_ROUTE = /^\/v1\/(?:events|events\/batch|sources\/[^/?]+|events\/[^/?]+\/redeliver)\/?(?:\?.*)?$/;

/** The workflow ids a 2xx answer names for the events it took, or why it names none. */
function acceptedWorkflowIds(outcome: Outcome): { ids: string[]; fault?: string } {
  interface Item {
    status?: unknown;
    workflow_id?: unknown;
  }
  let body: (Item & { accepted?: unknown; data?: Item[] }) | null;
  try {
    body = JSON.parse(outcome.text ?? '') as typeof body;
  } catch {
    return { ids: [], fault: 'a 2xx to a sending route without a JSON body' };
  }
  if (typeof body?.workflow_id === 'string') return { ids: [body.workflow_id] };
  if (Array.isArray(body?.data)) {
    const taken = body.data.filter((item) => item?.status === 'accepted' || item?.status === 'replayed');
    const ids = taken.map((item) => item?.workflow_id).filter((id): id is string => typeof id === 'string');
    if (ids.length !== taken.length) return { ids, fault: 'a batch item accepted without a workflow_id' };
    if (typeof body.accepted !== 'number' || body.accepted !== taken.length) return { ids, fault: `"accepted": ${String(body.accepted)} for ${taken.length} taken` };
    return { ids };
  }
  return { ids: [], fault: 'a 2xx to a sending route without workflow_id' };
}

function show(outcome: Outcome, note?: string): string {
  const { request } = outcome;
  const body = request.body === undefined ? '' : ` body(${request.body.length})=${JSON.stringify(String(request.body).slice(0, 300))}`;
  const headers = JSON.stringify(request.headers).slice(0, 400);
  const answer = outcome.error ?? `${String(outcome.status)} ${outcome.contentType ?? ''} ${JSON.stringify((outcome.text ?? '').slice(0, 400))}`;
  return `#${outcome.index} [${request.kind}/${request.transport}] ${request.method} ${request.path.slice(0, 300)} headers=${headers}${body}\n    → ${answer}${note ? `\n    ✗ ${note}` : ''}`;
}

function report(title: string, offenders: readonly string[]): string {
  return `${title} (seed ${SEED}; replay with FUZZ_SEED=${SEED}), ${offenders.length} in all; the first:\n${offenders.slice(0, 8).join('\n')}`;
}

// ---------------------------------------------------------------------------------------------------------------

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
      event_types: [
        { type: 'order.created', description: 'a customer placed an order', schema: ORDER_SCHEMA },
        { type: 'user.signed_up' },
      ],
      sources: [
        { id: 'shop', event_type: 'order.created', auth: { mode: 'secret', secret_env: 'SRC_SECRET' }, id_header: 'x-delivery-id' },
        { id: 'legacy', event_type: 'user.signed_up', enabled: false, auth: { mode: 'secret', secret_env: 'SRC_SECRET' } },
      ],
    },
    ENV,
  );
  console.log('DEBUG api started', new Date().toISOString());
  const fuzzer = new Fuzzer(new Random(SEED));
  const started = Date.now();
  // Requests are made in index order, from one generator, so the sequence depends on the seed alone.
  outcomes = await runBounded(REQUESTS, CONCURRENCY, started + RUN_BUDGET_MS, (index) => send(api, fuzzer.next(), index));
  runMs = Date.now() - started;
  outcomes.sort((a, b) => a.index - b.index);
  const statuses = new Map<string, number>();
  for (const outcome of outcomes) {
    const key = outcome.status === undefined ? 'error' : String(outcome.status);
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }
  const distribution = [...statuses].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => `${status}: ${count}`);
  console.log(`fuzz seed ${SEED}: ${outcomes.length} requests in ${runMs} ms; ${distribution.join(', ')}`);
  // DEBUG
  const byKind = new Map<string, Map<string, number>>();
  for (const o of outcomes) {
    const m = byKind.get(o.request.kind) ?? new Map<string, number>();
    const key = o.status === undefined ? 'error' : String(o.status);
    m.set(key, (m.get(key) ?? 0) + 1);
    byKind.set(o.request.kind, m);
  }
  for (const [kind, m] of byKind) console.log(kind, JSON.stringify(Object.fromEntries(m)));
  const { writeFileSync } = await import('node:fs');
  writeFileSync('/tmp/fuzz-faults.txt', outcomes.filter((o) => (o.status ?? 0) >= 400 && problemBodyFault(o)).map((o) => show(o, problemBodyFault(o))).join('\n'));
  writeFileSync('/tmp/fuzz-5xx.txt', outcomes.filter((o) => (o.status ?? 0) >= 500 || o.error).map((o) => show(o)).join('\n'));
}, 180_000);

afterAll(async () => {
  console.log('DEBUG afterAll', new Date().toISOString());
  await api?.stop();
  console.log('DEBUG stopped', new Date().toISOString());
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
    for (const outcome of outcomes) {
      const status = outcome.status ?? 0;
      if (status < 200 || status >= 300 || outcome.request.method !== 'POST' && outcome.request.method !== 'PUT' && outcome.request.method !== 'PATCH' && outcome.request.method !== 'DELETE') continue;
      if (!SENDING_ROUTE.test(outcome.request.path) || outcome.request.method !== 'POST') {
        faults.push(show(outcome, 'a change the fuzzer only ever sends broken was taken'));
        continue;
      }
      accepted++;
      const { ids: named, fault } = acceptedWorkflowIds(outcome);
      if (fault) faults.push(show(outcome, fault));
      for (const id of named) ids.add(id);
    }
    const missing: string[] = [];
    const workflowIds = [...ids];
    await runBounded(workflowIds.length, CONCURRENCY, Date.now() + 60_000, async (index) => {
      const workflowId = workflowIds[index] as string;
      try {
        const description = await api.client.workflow.getHandle(workflowId).describe();
        if (description.type !== 'deliverEvent') missing.push(`${workflowId}: a ${description.type} workflow`);
      } catch (error) {
        missing.push(`${workflowId}: ${describeError(error)}`);
      }
    });

    expect.soft(faults.length, report('2xx answers that name no started workflow', faults)).toBe(0);
    expect.soft(missing.length, report('accepted workflows Temporal does not know', missing)).toBe(0);
    // Enough were accepted that the check above means something.
    expect(accepted).toBeGreaterThan(50);
    expect(ids.size).toBeGreaterThan(50);
  });

  test('is still alive afterwards', async () => {
    const response = await fetch(`${api.url}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});
