import { Webhook } from 'standardwebhooks';
import { describe, expect, test } from 'vitest';
import { buildOutboundRequest, type OutboundRequest } from '../../activities/request.js';
import type { DeliveryTarget } from '../../domain/delivery.js';
import { deriveSecret } from '../../signing/derive.js';
import { anEvent, aTarget } from '../support/builders.js';

// Now, because the standardwebhooks library refuses timestamps more than five minutes off.
const at = new Date(Math.floor(Date.now() / 1000) * 1000);
const secret = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const oldSecret = 'whsec_' + Buffer.from('the previous secret, rotated out').toString('base64');

function build(overrides: Partial<DeliveryTarget> = {}): ReturnType<typeof buildOutboundRequest> {
  const env = {
    TOKEN: 't0ken',
    PASSWORD: 'pa55',
    SECRET: secret,
    OLD_SECRET: oldSecret,
    API_KEY: 'k3y',
    WEBHOOKS_SECRET_KEY: 'the gateway key',
  };
  return buildOutboundRequest(anEvent({ id: 'evt_req' }), aTarget('https://hooks.example.com/x', overrides), at, env, 'ua/1');
}

function sent(result: ReturnType<typeof buildOutboundRequest>): OutboundRequest {
  if ('missingVariable' in result) throw new Error(`missing ${result.missingVariable}`);
  return result;
}

describe('buildOutboundRequest', () => {
  test('always sends JSON with the webhook id and the attempt time', () => {
    expect(sent(build()).headers).toEqual({
      'content-type': 'application/json',
      'user-agent': 'ua/1',
      'webhook-id': 'evt_req',
      'webhook-timestamp': String(at.getTime() / 1000),
    });
  });

  test('authenticates with a bearer token read from the environment', () => {
    expect(sent(build({ auth: { type: 'bearer', tokenEnv: 'TOKEN' } })).headers['authorization']).toBe('Bearer t0ken');
  });

  test('authenticates with basic auth, the password read from the environment', () => {
    expect(sent(build({ auth: { type: 'basic', username: 'operator', passwordEnv: 'PASSWORD' } })).headers['authorization']).toBe(
      `Basic ${Buffer.from('operator:pa55').toString('base64')}`,
    );
  });

  test('sends literal headers and headers whose value comes from the environment', () => {
    const { headers } = sent(build({ headers: { 'X-Team': 'ops', 'X-API-Key': { env: 'API_KEY' } } }));
    expect(headers).toMatchObject({ 'X-Team': 'ops', 'X-API-Key': 'k3y' });
  });

  test('signs the exact body with every secret during a rotation, each verifiable on its own', () => {
    const { headers, body } = sent(
      build({ signing: { scheme: 'standard-webhooks', secretEnvs: ['SECRET', 'OLD_SECRET'], header: 'unused' } }),
    );
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    for (const key of [secret, oldSecret]) expect(new Webhook(key).verify(body, headers)).toEqual(JSON.parse(body));
  });

  test('puts the hex signature in the configured header', () => {
    const { headers } = sent(build({ signing: { scheme: 'hmac-sha256', secretEnvs: ['TOKEN'], header: 'X-OpsKnight-Signature' } }));
    expect(headers['X-OpsKnight-Signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(headers['webhook-signature']).toBeUndefined();
  });

  test('signs with a generated secret derived from the gateway key, the endpoint and the secret’s id', () => {
    const generated = (secretId: string) => ({
      scheme: 'standard-webhooks' as const,
      secretEnvs: ['WEBHOOKS_GENERATED_SIGNING_SECRET'],
      header: 'unused',
      generated: { keyEnv: 'WEBHOOKS_SECRET_KEY', secretId },
    });
    const { headers, body } = sent(build({ signing: generated('00000000000000b2') }));
    const expected = deriveSecret('the gateway key', 'signing', [aTarget('https://hooks.example.com/x').endpointId, '00000000000000b2']);
    expect(new Webhook(expected).verify(body, headers)).toEqual(JSON.parse(body));
    const previous = deriveSecret('the gateway key', 'signing', [aTarget('https://hooks.example.com/x').endpointId, '00000000000000b1']);
    expect(() => new Webhook(previous).verify(body, headers)).toThrow();
    expect(
      buildOutboundRequest(anEvent(), aTarget('https://hooks.example.com/x', { signing: generated('00000000000000b1') }), at, {}, 'ua/1'),
    ).toEqual({
      missingVariable: 'WEBHOOKS_SECRET_KEY',
    });
  });

  test('names a secret that is not set instead of sending without it', () => {
    expect(build({ auth: { type: 'bearer', tokenEnv: 'NOT_SET' } })).toEqual({ missingVariable: 'NOT_SET' });
  });

  test('renders the configured payload format', () => {
    expect(JSON.parse(sent(build({ format: 'event' })).body)).toHaveProperty('event', 'order.created');
  });
});
