import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, test } from 'vitest';
import {
  constantTimeEqual,
  signHexSha256,
  signStandardWebhooks,
  verifyHexSha256,
  verifyStandardWebhooks,
} from '../../signing/signatures.js';

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

describe('verifying inbound signatures', () => {
  const secret = 'whsec_' + Buffer.from('another secret, thirty-two bytes').toString('base64');
  const body = Buffer.from('{"message":"deploy finished","ok":true}');
  const nowMs = 1_700_000_000_000;
  const seconds = nowMs / 1_000;

  test('accepts what the standardwebhooks library signs, and nothing altered', () => {
    const signature = new Webhook(secret).sign('msg_1', new Date(nowMs), body.toString());
    const headers = { id: 'msg_1', timestamp: String(seconds), signature };
    expect(verifyStandardWebhooks(secret, body, headers, nowMs, 300_000)).toBe(true);
    expect(verifyStandardWebhooks(secret, Buffer.from(body.toString().replace('true', 'false')), headers, nowMs, 300_000)).toBe(false);
    expect(verifyStandardWebhooks(secret, body, { ...headers, id: 'msg_2' }, nowMs, 300_000)).toBe(false);
    expect(verifyStandardWebhooks(secret, body, { ...headers, signature: undefined }, nowMs, 300_000)).toBe(false);
  });

  test('accepts any one of several signatures, as senders rotating a secret send', () => {
    const good = signStandardWebhooks(secret, 'msg_1', seconds, body);
    const headers = { id: 'msg_1', timestamp: String(seconds), signature: `v1,bm90IHRoaXMgb25l ${good}` };
    expect(verifyStandardWebhooks(secret, body, headers, nowMs, 300_000)).toBe(true);
  });

  test('refuses a timestamp outside the tolerance, either way, so an old message cannot be replayed', () => {
    const old = seconds - 301;
    const replayed = { id: 'msg_1', timestamp: String(old), signature: signStandardWebhooks(secret, 'msg_1', old, body) };
    expect(verifyStandardWebhooks(secret, body, replayed, nowMs, 300_000)).toBe(false);
    const future = seconds + 301;
    const early = { id: 'msg_1', timestamp: String(future), signature: signStandardWebhooks(secret, 'msg_1', future, body) };
    expect(verifyStandardWebhooks(secret, body, early, nowMs, 300_000)).toBe(false);
    expect(verifyStandardWebhooks(secret, body, { ...replayed, timestamp: 'soon' }, nowMs, 300_000)).toBe(false);
  });

  test('checks sha256= hex signatures over the raw bytes, case-insensitively', () => {
    const header = `sha256=${createHmac('sha256', 'shared').update(body).digest('hex')}`;
    expect(verifyHexSha256('shared', body, header)).toBe(true);
    expect(verifyHexSha256('shared', body, header.toUpperCase().replace('SHA256=', 'sha256='))).toBe(true);
    expect(verifyHexSha256('other', body, header)).toBe(false);
    expect(verifyHexSha256('shared', body, undefined)).toBe(false);
  });

  test('constantTimeEqual tells equal strings from any other, whatever their lengths', () => {
    expect(constantTimeEqual('s3cret', 's3cret')).toBe(true);
    expect(constantTimeEqual('s3cret', 's3cre')).toBe(false);
    expect(constantTimeEqual('', 's3cret')).toBe(false);
  });
});
