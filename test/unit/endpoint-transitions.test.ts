import { describe, expect, test } from 'vitest';
import { definitionProblem } from '../../domain/definition-check.js';
import { EndpointSchema, type Endpoint } from '../../domain/endpoint.js';
import {
  DEFAULT_ENDPOINT_SETTINGS,
  DISABLED_BY_DEFINITION,
  applyEndpointChanges,
  isFailing,
  isLaterState,
  routingView,
  statusView,
  type ListedEndpointState,
  type EndpointState,
  type EndpointStatus,
} from '../../domain/endpoint-state.js';
import {
  appliesOnceRetired,
  askAgainDelayMs,
  askAgainRelease,
  holdIsFull,
  newEndpointState,
  listedState,
  RETIRED_REASON,
  nextReleaseBatch,
  transitionEndpoint,
  withoutOldestNotice,
  type EndpointMessage,
} from '../../domain/endpoint-transitions.js';
import { createHeldDeliveries } from '../../domain/held-deliveries.js';

const CREATED = new Date('2026-03-01T10:00:00.000Z');
const NOW = new Date('2026-03-02T12:00:00.000Z');
const endpoint: Endpoint = EndpointSchema.parse({ id: 'crm', url: 'https://crm.example.com/hooks', events: ['order.*'] });

function anEntity(status: EndpointStatus = 'active', statusReason?: string, extra: Partial<EndpointState> = {}): EndpointState {
  return {
    ...newEndpointState(endpoint, 'api', DEFAULT_ENDPOINT_SETTINGS, CREATED),
    status,
    ...(statusReason ? { statusReason } : {}),
    statusVersion: 3,
    ...extra,
  };
}

describe('an endpoint entity', () => {
  test('holds at most its bound while paused, and tells those past it when to ask again', () => {
    const settings = { ...DEFAULT_ENDPOINT_SETTINGS, maxHeldDeliveries: 2, askAgainAfterMs: 5_000 };
    const full = anEntity('paused', 'deploying', { settings });
    const two = createHeldDeliveries(['event/a', 'event/b']);
    expect(holdIsFull(full, two, 'event/c')).toBe(true);
    // One already held asking again is no newcomer; below the bound, or not paused, anyone is held.
    expect(holdIsFull(full, two, 'event/a')).toBe(false);
    expect(holdIsFull(full, createHeldDeliveries(['event/a']), 'event/c')).toBe(false);
    expect(holdIsFull({ ...full, status: 'active' }, two, 'event/c')).toBe(false);
    expect(holdIsFull({ ...full, status: 'disabled' }, two, 'event/c')).toBe(false);
    expect(askAgainRelease(full)).toEqual({ endpointId: endpoint.id, statusVersion: 3, askAgainAfterMs: 5_000 });
    // Settings from before the bound existed: 50,000 and a minute.
    const old = anEntity('paused', 'deploying');
    const many = createHeldDeliveries(Array.from({ length: 50_000 }, (_, index) => `event/${index}`));
    expect(holdIsFull(old, many, 'event/new')).toBe(true);
    many.drop(1);
    expect(holdIsFull(old, many, 'event/new')).toBe(false);
    expect(askAgainRelease(old).askAgainAfterMs).toBe(60_000);
  });

  test('a delivery turned away waits twice as long at each ask, to an hour, with up to a quarter more', () => {
    expect([1, 2, 3, 4].map((asks) => askAgainDelayMs(60_000, asks, 0))).toEqual([60_000, 120_000, 240_000, 480_000]);
    expect(askAgainDelayMs(60_000, 7, 0)).toBe(3_600_000);
    expect(askAgainDelayMs(60_000, 10_000, 0)).toBe(3_600_000);
    expect(askAgainDelayMs(60_000, 1, 1)).toBe(75_000);
    expect(askAgainDelayMs(60_000, 1, 0.5)).toBe(67_500);
    expect(askAgainDelayMs(60_000, 7, 1)).toBe(4_500_000);
    // A first wait longer than the hour is kept as it is.
    expect(askAgainDelayMs(7_200_000, 3, 0)).toBe(7_200_000);
  });

  test('once deleted, takes only deliveries asking to wait (to send them away) and the delete itself', () => {
    const messages: EndpointMessage[] = [
      { type: 'pause' },
      { type: 'resume' },
      { type: 'disable' },
      { type: 'enable' },
      { type: 'autoDisable', reason: 'the endpoint answered 410 Gone' },
      { type: 'health', report: { delivered: 0, failed: 1, failedSinceLastSuccess: 1, lastFailureAt: NOW.toISOString() } },
      { type: 'configure', definition: endpoint },
      { type: 'retire' },
    ];
    expect(messages.filter(appliesOnceRetired).map((message) => message.type)).toEqual(['retire']);
  });

  test('starts active at version 1, or disabled when its definition says enabled: false', () => {
    expect(newEndpointState(endpoint, 'config', DEFAULT_ENDPOINT_SETTINGS, CREATED)).toMatchObject({
      status: 'active',
      statusVersion: 1,
      revision: 1,
      statusChangedAt: CREATED.toISOString(),
      heldDeliveries: [],
      pendingNotices: [],
    });
    expect(newEndpointState({ ...endpoint, enabled: false }, 'config', DEFAULT_ENDPOINT_SETTINGS, CREATED)).toMatchObject({
      status: 'disabled',
      statusReason: DISABLED_BY_DEFINITION,
    });
  });

  // [from status, from reason, message, to status, to reason]; `same` means the state is returned unchanged.
  test.each<[EndpointStatus, string | undefined, EndpointMessage, EndpointStatus | 'same', string | undefined]>([
    ['active', undefined, { type: 'pause' }, 'paused', 'paused by an operator'],
    ['active', undefined, { type: 'pause', reason: 'deploying' }, 'paused', 'deploying'],
    ['paused', 'deploying', { type: 'pause', reason: 'again' }, 'same', undefined],
    ['disabled', 'gone', { type: 'pause' }, 'same', undefined],
    ['paused', 'deploying', { type: 'resume' }, 'active', undefined],
    ['active', undefined, { type: 'resume' }, 'same', undefined],
    ['disabled', 'gone', { type: 'resume' }, 'same', undefined],
    ['active', undefined, { type: 'disable' }, 'disabled', 'disabled by an operator'],
    ['paused', 'deploying', { type: 'disable', reason: 'retired' }, 'disabled', 'retired'],
    ['disabled', 'retired', { type: 'disable', reason: 'retired' }, 'same', undefined],
    ['disabled', 'retired', { type: 'disable', reason: 'for good' }, 'disabled', 'for good'],
    ['disabled', 'retired', { type: 'enable' }, 'active', undefined],
    ['paused', 'deploying', { type: 'enable' }, 'same', undefined],
    ['active', undefined, { type: 'enable' }, 'same', undefined],
    ['paused', 'deploying', { type: 'retire' }, 'disabled', RETIRED_REASON],
  ])('%s (%s) + %o → %s (%s)', (from, fromReason, message, to, toReason) => {
    const before = anEntity(from, fromReason);
    const after = transitionEndpoint(before, message, NOW);
    if (to === 'same') return void expect(after).toBe(before);
    expect(after.status).toBe(to);
    expect(after.statusReason).toBe(toReason);
    expect(after.statusVersion).toBe(before.statusVersion + 1);
    expect(after.statusChangedAt).toBe(NOW.toISOString());
    expect(after.pendingNotices).toEqual([]);
    // Only a deletion marks the state deleted: an operator's disable, whatever its reason, leaves the endpoint there.
    expect(after.deleted).toBe(message.type === 'retire' ? true : undefined);
  });

  test("a deleted endpoint stays marked deleted, even disabled again with the deletion's reason", () => {
    const deleted = transitionEndpoint(anEntity(), { type: 'retire' }, NOW);
    expect(deleted).toMatchObject({ status: 'disabled', statusReason: RETIRED_REASON, deleted: true });
    expect(transitionEndpoint(deleted, { type: 'retire' }, NOW)).toBe(deleted);
    expect(transitionEndpoint(anEntity(), { type: 'disable', reason: RETIRED_REASON }, NOW).deleted).toBeUndefined();
    expect(listedState(deleted).deleted).toBe(true);
  });

  test('auto-disable announces endpoint.disabled once, under an id fixed by the status version', () => {
    const after = transitionEndpoint(anEntity(), { type: 'autoDisable', reason: 'the endpoint answered 410 Gone' }, NOW);
    expect(after).toMatchObject({ status: 'disabled', statusReason: 'the endpoint answered 410 Gone', statusVersion: 4 });
    expect(after.pendingNotices).toEqual([
      {
        id: 'op_endpoint_disabled_crm_4',
        type: 'endpoint.disabled',
        timestamp: NOW.toISOString(),
        data: { endpoint_id: 'crm', reason: 'the endpoint answered 410 Gone' },
      },
    ]);
    expect(transitionEndpoint(after, { type: 'autoDisable', reason: 'again' }, NOW)).toBe(after);
    expect(withoutOldestNotice(after).pendingNotices).toEqual([]);
  });

  test('a health report is folded into the counters, and an endpoint failing for too long is disabled', () => {
    const failingFor = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
    const report = (since: string) => ({
      delivered: 0,
      failed: 2,
      lastFailureAt: since,
      failedSinceLastSuccess: 2,
      firstFailureSinceLastSuccessAt: since,
    });
    const settings = { releasePerSecond: 10, autoDisableAfterMs: 60_000 };

    const recent = transitionEndpoint(
      anEntity('active', undefined, { settings }),
      { type: 'health', report: report(failingFor(59_000)) },
      NOW,
    );
    expect(recent).toMatchObject({ status: 'active', health: { failed: 2, consecutiveFailures: 2, failingSince: failingFor(59_000) } });

    const long = transitionEndpoint(
      anEntity('active', undefined, { settings }),
      { type: 'health', report: report(failingFor(60_000)) },
      NOW,
    );
    expect(long).toMatchObject({ status: 'disabled', statusReason: `failing since ${failingFor(60_000)} with no success in between` });
    expect(long.pendingNotices.map((notice) => notice.type)).toEqual(['endpoint.disabled']);
  });

  test('a changed definition bumps the revision; the same one changes nothing; settings are replaced', () => {
    const before = anEntity();
    const moved = transitionEndpoint(before, { type: 'configure', definition: { ...endpoint, url: 'https://crm.example.com/v2' } }, NOW);
    expect(moved).toMatchObject({ revision: 2, endpoint: { url: 'https://crm.example.com/v2' }, statusVersion: 3 });
    expect(transitionEndpoint(before, { type: 'configure', definition: endpoint }, NOW)).toBe(before);
    const settings = { releasePerSecond: 5, autoDisableAfterMs: 1_000 };
    expect(transitionEndpoint(before, { type: 'configure', definition: endpoint, settings }, NOW)).toMatchObject({ settings, revision: 1 });
  });

  test('enabled: false in a definition disables, and enabled: true lifts only that disable', () => {
    const off = transitionEndpoint(anEntity(), { type: 'configure', definition: { ...endpoint, enabled: false } }, NOW);
    expect(off).toMatchObject({ status: 'disabled', statusReason: DISABLED_BY_DEFINITION });
    expect(transitionEndpoint(off, { type: 'configure', definition: endpoint }, NOW)).toMatchObject({ status: 'active' });

    const byOperator = anEntity('disabled', 'receiver retired');
    expect(transitionEndpoint(byOperator, { type: 'configure', definition: endpoint }, NOW)).toMatchObject({
      status: 'disabled',
      statusReason: 'receiver retired',
    });
    expect(transitionEndpoint(byOperator, { type: 'configure', definition: { ...endpoint, enabled: false } }, NOW)).toMatchObject({
      statusReason: 'receiver retired',
    });
  });

  test('the listed state leaves the held deliveries and pending notices out', () => {
    const entity = anEntity('paused', 'deploying', { heldDeliveries: ['event/a', 'event/b'] });
    expect(listedState(entity)).not.toHaveProperty('heldDeliveries');
    expect(listedState(entity)).not.toHaveProperty('pendingNotices');
  });

  test('held deliveries are released in batches of releasePerSecond once not paused, and cancelled when disabled', () => {
    const settings = { releasePerSecond: 2, autoDisableAfterMs: 60_000 };
    const held = createHeldDeliveries(['event/a', 'event/b', 'event/c']);
    expect(nextReleaseBatch(anEntity('paused', 'deploying', { settings }), held)).toBeUndefined();
    expect(nextReleaseBatch(anEntity('active', undefined, { settings }), createHeldDeliveries())).toBeUndefined();

    const first = nextReleaseBatch(anEntity('active', undefined, { settings }), held);
    expect(first?.batch).toEqual(['event/a', 'event/b']);
    expect(first?.release).toEqual({ endpointId: 'crm', statusVersion: 3 });
    // Still held until the entity drops them: a run about to continue as new carries them instead.
    expect(held.size).toBe(3);
    held.drop(2);
    expect(nextReleaseBatch(anEntity('active', undefined, { settings }), held)?.batch).toEqual(['event/c']);

    const cancelled = nextReleaseBatch(anEntity('disabled', 'receiver retired', { settings }), held);
    expect(cancelled?.release).toEqual({ endpointId: 'crm', statusVersion: 3, cancelledReason: 'endpoint disabled (receiver retired)' });
  });

  test.each<[string, unknown, string | undefined]>([
    ['a valid definition of this endpoint', { ...endpoint, url: 'https://crm.example.com/v2' }, undefined],
    ['another endpoint', { ...endpoint, id: 'billing' }, 'this entity is endpoint crm, not billing'],
    ['an invalid URL', { ...endpoint, url: 'ftp://crm.example.com' }, 'invalid endpoint: url: an absolute http:// or https:// URL'],
    ['no events', { ...endpoint, events: [] }, 'invalid endpoint: events: one or more patterns (*, prefix.*, or exact types)'],
    [
      'a bad pattern',
      { ...endpoint, events: ['order.**'] },
      'invalid endpoint: events: one or more patterns (*, prefix.*, or exact types)',
    ],
    [
      'a secret header without a name',
      { ...endpoint, headers: { 'X-Key': { env: '' } } },
      'invalid endpoint: headers: each value text or { env: NAME }',
    ],
    ['an unknown format', { ...endpoint, format: 'xml' }, 'invalid endpoint: format: one of standard, event, flat, data, slack, discord'],
    ['a data key with a space', { ...endpoint, data_key: 'the data' }, 'invalid endpoint: data_key: a key name'],
    ['a duration as text', { ...endpoint, timeout: '5s' }, 'invalid endpoint: timeout: milliseconds, more than 0'],
    [
      'a filter with an unknown operator',
      { ...endpoint, filter: { 'data.x': { $where: 1 } } },
      'invalid endpoint: filter: a payload filter (see docs/delivery.md)',
    ],
    [
      'a rate limit of none',
      { ...endpoint, rate_limit: { requests: 0, per: 1_000 } },
      'invalid endpoint: rate_limit: { requests: 1 to 1000, per: milliseconds }',
    ],
    [
      'a TLS setting that is no name',
      { ...endpoint, tls: { ca_env: 3 } },
      'invalid endpoint: tls: { client_cert_env, client_key_env, ca_env }: variable names',
    ],
    [
      'an OAuth2 client without a secret',
      { ...endpoint, auth: { type: 'oauth2', token_url: 'https://a.example/t', client_id: 'x' } },
      'invalid endpoint: auth: { type: bearer, token_env }, { type: basic, username, password_env } or { type: oauth2, … }',
    ],
    ['no object at all', 'crm', 'invalid endpoint: a definition is an object'],
  ])('a definition of %s is checked before it reaches history', (_name, definition, problem) => {
    expect(definitionProblem(anEntity().endpoint.id, definition)).toBe(problem);
  });

  // The entity's check is a guard against hand-made updates, not a second schema: it must never refuse what the
  // schema, the single source of truth, accepts.
  test.each([
    { id: 'crm', url: 'http://127.0.0.1:9000/hooks' },
    {
      id: 'crm',
      name: 'CRM',
      url: 'https://crm.example.com/hooks?tenant=7',
      events: ['*', 'order.*', 'invoice.paid'],
      headers: { 'X-Tenant': '7', 'X-Key': { env: 'CRM_KEY' } },
      auth: { type: 'basic', username: 'gw', password_env: 'CRM_PASSWORD' },
      signing: { scheme: 'hmac-sha256', secret_env: ['CRM_SECRET', 'CRM_OLD_SECRET'], header: 'X-Sig' },
      format: 'event',
      data_key: 'incident',
      retry: { schedule: ['1s', '1m'], deadline: '1d', retry_on_status: [409] },
      timeout: '3s',
      filter: { 'data.total': { $gte: 10 }, $or: [{ type: 'order.created' }, { 'data.tags': { $contains: 'vip' } }] },
      enabled: false,
    },
    {
      id: 'crm',
      url: 'https://crm.example.com/hooks',
      auth: { type: 'oauth2', token_url: 'https://auth.example.com/token', client_id: 'gw', client_secret_env: 'CRM_CLIENT_SECRET' },
      tls: { client_cert_env: 'CRM_CERT', client_key_env: 'CRM_KEY', ca_env: 'CRM_CA' },
      rate_limit: { requests: 5, per: '1s' },
      transform: '{"text": type}',
    },
    {
      id: 'crm',
      url: 'https://crm.example.com',
      auth: { type: 'bearer', token_env: 'CRM_TOKEN' },
      signing: { secret_env: 'CRM_SECRET' },
      retry: { exponential: { initial_interval: '2s' } },
    },
  ])('accepts every definition the endpoint schema accepts (%#)', (input) => {
    expect(definitionProblem('crm', EndpointSchema.parse(input))).toBeUndefined();
  });

  // The other way round: an endpoint created with a definition its entity refuses could never be changed again. Each
  // row gives the input as the schema takes it, and as the entity would get it (durations in milliseconds).
  const oauth2 = (tokenUrl: string) => ({ type: 'oauth2', token_url: tokenUrl, client_id: 'gw', client_secret_env: 'CRM_CLIENT_SECRET' });
  test.each([
    [
      'a url with a form feed',
      { url: 'https://crm.example.com/ho\foks' },
      {},
      ['url'],
      'url must not contain whitespace other than spaces',
    ],
    ['a timeout of 0', { timeout: '0s' }, { timeout: 0 }, ['timeout'], 'timeout must be longer than 0'],
    [
      'a token url with a no-break space',
      { auth: oauth2('https://auth.example.com/to\u00a0ken') },
      {},
      ['auth', 'token_url'],
      'token_url must not contain whitespace other than spaces',
    ],
  ])('refuses what the entity would refuse: %s', (_name, input, asStored, path, message) => {
    const base = { id: 'crm', url: 'https://crm.example.com/hooks' };
    expect(definitionProblem('crm', { ...base, events: ['*'], enabled: true, headers: {}, ...input, ...asStored })).toBeDefined();
    const parsed = EndpointSchema.safeParse({ ...base, ...input });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => ({ path: issue.path, message: issue.message }))).toEqual([{ path, message }]);
  });

  test('percent-encodes the spaces of a url, as the request sends them, which the entity takes', () => {
    const parsed = EndpointSchema.parse({
      id: 'crm',
      url: 'https://crm.example.com/hooks?q=a b',
      auth: oauth2('https://auth.example.com/a b'),
    });
    expect(parsed.url).toBe('https://crm.example.com/hooks?q=a%20b');
    expect(parsed.auth).toMatchObject({ token_url: 'https://auth.example.com/a%20b' });
    expect(definitionProblem('crm', parsed)).toBeUndefined();
  });
});

describe("an endpoint's announced state", () => {
  test('is later when its status version, its revision, or its last outcome is', () => {
    const known = listedState(anEntity());
    expect(isLaterState(listedState(anEntity('paused', 'deploying', { statusVersion: 4 })), known)).toBe(true);
    expect(isLaterState(listedState(anEntity('active', undefined, { revision: 2 })), known)).toBe(true);
    const reported = { ...known.health, lastFailureAt: NOW.toISOString(), consecutiveFailures: 1 };
    expect(isLaterState({ ...known, health: reported }, known)).toBe(true);
    expect(isLaterState(known, known)).toBe(false);
    expect(isLaterState(known, listedState(anEntity('paused', 'deploying', { statusVersion: 4 })))).toBe(false);
  });

  test('from the change log replaces a known state only when later, and tells whether anything changed', () => {
    const known = listedState(anEntity());
    const paused = listedState(anEntity('paused', 'deploying', { statusVersion: 4 }));
    const states = new Map([[known.endpoint.id, known]]);
    // What a listing already had, read back when following starts: nothing to rebuild.
    expect(applyEndpointChanges(states, [{ state: known }, { state: listedState(anEntity('paused', 'old', { statusVersion: 2 })) }])).toBe(
      false,
    );
    expect(states.get(known.endpoint.id)).toBe(known);
    expect(applyEndpointChanges(states, [{ state: known }, { state: paused }])).toBe(true);
    expect(states.get(known.endpoint.id)).toBe(paused);
    // A retirement removes what is known, and of an endpoint not known changes nothing.
    expect(applyEndpointChanges(new Map(), [{ state: known, retired: true }])).toBe(false);
    expect(applyEndpointChanges(states, [{ state: known, retired: true }])).toBe(true);
    expect(states.size).toBe(0);
    // So does a state that says the endpoint was deleted, announced without the flag.
    states.set(known.endpoint.id, known);
    expect(applyEndpointChanges(states, [{ state: { ...paused, deleted: true } }])).toBe(true);
    expect(states.size).toBe(0);
    // An endpoint not known yet (created after the listing) is taken as it comes.
    expect(applyEndpointChanges(states, [{ state: known }])).toBe(true);
    expect(states.get(known.endpoint.id)).toBe(known);
  });

  test('changes for routing with its status, definition or failing, not with its counters alone', () => {
    const state = listedState(anEntity());
    expect(routingView(listedState(anEntity('paused', 'x')))).not.toBe(routingView(state));
    expect(routingView({ ...state, endpoint: { ...state.endpoint, url: 'https://crm.example.com/v2' } })).not.toBe(routingView(state));
    expect(routingView({ ...state, health: { ...state.health, consecutiveFailures: 1, failed: 1 } })).not.toBe(routingView(state));
    expect(routingView({ ...state, health: { ...state.health, delivered: 7 } })).toBe(routingView(state));
  });

  test('of a state from before health counters (an older memo, or an entity continued as new with one) is not failing', () => {
    const { health: _health, ...older } = listedState(anEntity());
    const state = older as ListedEndpointState;
    expect(isFailing(state)).toBe(false);
    expect(statusView(state)).toEqual({ status: 'active', statusVersion: state.statusVersion });
    expect(() => routingView(state)).not.toThrow();
  });
});
