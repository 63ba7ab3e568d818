import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, test } from 'vitest';
import { signHexSha256, signStandardWebhooks } from '../../activities/signing.js';

describe('signStandardWebhooks', () => {
  test('matches the known answer of the Standard Webhooks specification', () => {
    const signature = signStandardWebhooks(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  test('verifies with the standardwebhooks library', () => {
    const secret = 'whsec_' + Buffer.from('a secret of thirty-two bytes....').toString('base64');
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'order.created', timestamp: new Date().toISOString(), data: { total: 42, note: 'ünïcode' } });
    const headers = {
      'webhook-id': 'evt_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signStandardWebhooks(secret, 'evt_1', timestamp, body),
    };

    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(body.replace('42', '43'), headers)).toThrow();
  });
});

describe('signHexSha256', () => {
  // The receiver-side check from the OpsKnight documentation, with a constant-time comparison.
  function verifySignature(payload: string, signature: string, secret: string): boolean {
    const expected = 'sha256=' + createHmac('sha256', secret).update(payload).digest('hex');
    return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  }

  test('verifies with Node crypto as the OpsKnight docs do', () => {
    const body = '{"event":"incident.triggered"}';
    expect(verifySignature(body, signHexSha256('s3cret', body), 's3cret')).toBe(true);
    expect(verifySignature(body, signHexSha256('other', body), 's3cret')).toBe(false);
  });

  test('is the hex HMAC-SHA256 of the body', () => {
    expect(signHexSha256('key', 'The quick brown fox jumps over the lazy dog')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });
});
