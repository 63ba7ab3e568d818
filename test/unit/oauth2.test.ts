import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAccessTokens, TokenRequestError } from '../../activities/index.js';
import { createGuardedLookup } from '../../activities/destination.js';
import { classifyTransportError } from '../../activities/transport-error.js';
import type { OAuth2Reference } from '../../domain/delivery.js';
import { startTokenServer, type TokenServer } from '../support/token-server.js';

let server: TokenServer;
const dispatcher = new Agent({ connect: { lookup: createGuardedLookup(['loopback']) } });

beforeAll(async () => {
  server = await startTokenServer({ gateway: 's3cret', 'form-client': 'p@ss:word' });
});

afterAll(async () => {
  await server.close();
  await dispatcher.close();
});

const client = (overrides: Partial<OAuth2Reference> = {}): OAuth2Reference => ({
  type: 'oauth2',
  tokenUrl: server.url,
  clientId: 'gateway',
  clientSecretEnv: 'UNUSED',
  clientAuth: 'basic',
  ...overrides,
});

// The clock is the one thing mocked: expiry is what these tests are about, and waiting an hour is not an option.
function tokensAt(clock: { now: number }) {
  return createAccessTokens({ dispatcher, allowDestinations: ['loopback'], now: () => clock.now });
}

describe('createAccessTokens', () => {
  test('fetches one token with the client’s credentials and scope, and shares it until shortly before it expires', async () => {
    server.expiresInSeconds = 3_600;
    const clock = { now: 1_000_000 };
    const tokens = tokensAt(clock);
    const before = server.requests.length;
    const [first, second] = await Promise.all([
      tokens.get(client({ scope: 'hooks:write', audience: 'https://receiver' }), 's3cret'),
      tokens.get(client({ scope: 'hooks:write', audience: 'https://receiver' }), 's3cret'),
    ]);
    expect(second).toBe(first);
    expect(server.requests.slice(before)).toEqual([
      {
        clientId: 'gateway',
        secret: 's3cret',
        via: 'basic',
        form: { grant_type: 'client_credentials', scope: 'hooks:write', audience: 'https://receiver' },
      },
    ]);
    clock.now += 3_600_000 - 61_000;
    expect(await tokens.get(client({ scope: 'hooks:write', audience: 'https://receiver' }), 's3cret')).toBe(first);
    clock.now += 2_000;
    expect(await tokens.get(client({ scope: 'hooks:write', audience: 'https://receiver' }), 's3cret')).not.toBe(first);
    expect(server.requests.length).toBe(before + 2);
  });

  test('renews a short-lived token at 90 % of its life, and one without expires_in after five minutes', async () => {
    const clock = { now: 0 };
    const tokens = tokensAt(clock);
    server.expiresInSeconds = 30;
    const short = await tokens.get(client(), 's3cret');
    clock.now = 26_000;
    expect(await tokens.get(client(), 's3cret')).toBe(short);
    clock.now = 27_500;
    const unknown = ((server.expiresInSeconds = undefined), await tokens.get(client(), 's3cret'));
    expect(unknown).not.toBe(short);
    clock.now += 4 * 60_000;
    expect(await tokens.get(client(), 's3cret')).toBe(unknown);
    clock.now += 60_000;
    expect(await tokens.get(client(), 's3cret')).not.toBe(unknown);
    server.expiresInSeconds = 3_600;
  });

  test('gives a new token instead of one a receiver refused, but not a third for a second refusal of the old one', async () => {
    const tokens = tokensAt({ now: 0 });
    const refused = await tokens.get(client(), 's3cret');
    const renewed = await tokens.get(client(), 's3cret', refused);
    expect(renewed).not.toBe(refused);
    // Another attempt that was refused with the old token takes the renewed one.
    expect(await tokens.get(client(), 's3cret', refused)).toBe(renewed);
  });

  test('sends the credentials in the form with client_auth post, encoded as the RFC says', async () => {
    const before = server.requests.length;
    await tokensAt({ now: 0 }).get(client({ clientId: 'form-client', clientAuth: 'post' }), 'p@ss:word');
    expect(server.requests.slice(before)).toEqual([expect.objectContaining({ clientId: 'form-client', secret: 'p@ss:word', via: 'post' })]);
  });

  test('reports a refused client with the server’s error, and asks again next time', async () => {
    const tokens = tokensAt({ now: 0 });
    const refusal = tokens.get(client(), 'wrong');
    await expect(refusal).rejects.toBeInstanceOf(TokenRequestError);
    await expect(refusal).rejects.toThrow(
      `token request to 127.0.0.1:${new URL(server.url).port} refused: invalid_client: client authentication failed (HTTP 401)`,
    );
    const before = server.requests.length;
    await expect(tokens.get(client(), 'wrong')).rejects.toThrow(/invalid_client/);
    expect(server.requests.length).toBe(before + 1);
  });

  test('shares one failing request among the attempts waiting on it', async () => {
    const tokens = tokensAt({ now: 0 });
    const before = server.requests.length;
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => tokens.get(client(), 'also-wrong')));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array.from({ length: 5 }, () => 'rejected'));
    expect(server.requests.length).toBe(before + 1);
  });

  test('refuses a token URL the destination guard forbids, and reports one that does not answer', async () => {
    const guarded = createAccessTokens({ dispatcher, allowDestinations: [] });
    const refused = guarded.get(client(), 's3cret');
    await expect(refused).rejects.toThrow(/token request to 127\.0\.0\.1:\d+ not sent: .*loopback/);
    // As final as a refused endpoint URL: the attempt is not retried.
    expect(classifyTransportError(await refused.catch((error: unknown) => error))).toBe('blocked_destination');
    const byName = createAccessTokens({ dispatcher: new Agent({ connect: { lookup: createGuardedLookup([]) } }), allowDestinations: [] });
    const refusedByName = await byName
      .get(client({ tokenUrl: server.url.replace('127.0.0.1', 'localhost') }), 's3cret')
      .catch((error: unknown) => error);
    expect(classifyTransportError(refusedByName)).toBe('blocked_destination');
    await expect(tokensAt({ now: 0 }).get(client({ tokenUrl: 'http://127.0.0.1:9/token' }), 's3cret')).rejects.toThrow(
      /token request to 127\.0\.0\.1:9 failed/,
    );
  });
});
