import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, test } from 'vitest';
import { SourceSchema, type SourceConfig } from '../../config/ingest.js';
import { ConfigError } from '../../errors.js';
import { deriveSecret } from '../../signing/derive.js';
import { createSourceDirectory, excerptOf, isAuthentic, sourceEventId, type InboundSource } from '../../server/sources.js';

const source = (input: Record<string, unknown>): SourceConfig => SourceSchema.parse({ event_type: 'hook.received', ...input });
const inbound = (input: Record<string, unknown>, secret: string): InboundSource => {
  const definition = source(input);
  return { definition, stored: { definition, origin: 'config', revision: 1, createdAt: '', changedAt: '' }, enabled: true, secret };
};
const OPTIONS = { taskQueue: 'webhooks' };

const SW_SECRET = 'whsec_' + Buffer.from('a source secret of 32 bytes.....').toString('base64');
const nowMs = 1_700_000_000_000;
const body = Buffer.from('{"ref":"main","ok":true}');

describe('createSourceDirectory', () => {
  test('throws a ConfigError at the secret_env of every source whose secret is unset', () => {
    const sources = [
      source({ id: 'a', auth: { mode: 'secret', secret_env: 'A_SECRET' } }),
      source({ id: 'b', auth: { mode: 'hmac-sha256', secret_env: 'B_SECRET' } }),
    ];
    let caught: unknown;
    try {
      createSourceDirectory(sources, { A_SECRET: 's' }, OPTIONS);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.path)).toEqual(['sources[1].auth.secret_env']);
  });

  test('finds each source with its secret from the environment', () => {
    const directory = createSourceDirectory([source({ id: 'gh', auth: { mode: 'secret', secret_env: 'GH' } })], { GH: 'xyz' }, OPTIONS);
    expect(directory.get('gh')?.secret).toBe('xyz');
    expect(directory.get('nope')).toBeUndefined();
    expect(directory.list().map((s) => s.definition.id)).toEqual(['gh']);
  });

  test('serves the book once read: generated secrets derived from the source key, deleted ids remembered', () => {
    const directory = createSourceDirectory([], {}, { ...OPTIONS, secretKey: 'k'.repeat(32) });
    const generated = {
      id: 'kb',
      event_type: 'hook.received',
      enabled: true,
      auth: { mode: 'secret' as const, header: 'x-webhook-secret' },
    };
    const stored = { definition: generated, origin: 'api' as const, secretGeneration: 2, revision: 3, createdAt: 't', changedAt: 't' };
    directory.replace({ epoch: 'e1', version: 4, sources: [stored], deleted: ['old'] });
    const secret = directory.get('kb')?.secret;
    expect(secret).toBe(deriveSecret('k'.repeat(32), 'source', ['webhooks', 'kb', 2]));
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(directory.generatedSecret({ ...stored, secretGeneration: 3 })).not.toBe(secret);
    expect(deriveSecret('k'.repeat(32), 'source', ['other-queue', 'kb', 2])).not.toBe(secret);
    expect(directory.isDeleted('old')).toBe(true);
    expect(directory.isDeleted('kb')).toBe(false);

    // A read that left before the last change answers after it: it is older, and ignored.
    directory.replace({ epoch: 'e1', version: 3, sources: [], deleted: [] });
    expect(directory.get('kb')).toBeDefined();
    // A book that had to start empty is a new epoch: its versions count afresh.
    directory.replace({ epoch: 'e2', version: 1, sources: [], deleted: [] });
    expect(directory.get('kb')).toBeUndefined();

    // A process without the key serves the source, but cannot know its secret.
    const keyless = createSourceDirectory([], {}, OPTIONS);
    keyless.replace({ epoch: 'e1', version: 4, sources: [stored], deleted: [] });
    expect(keyless.get('kb')?.secret).toBeUndefined();
    expect(keyless.canGenerateSecrets).toBe(false);
  });

  test('a config source the file dropped is served disabled', () => {
    const directory = createSourceDirectory([], {}, OPTIONS);
    const definition = source({ id: 'gone', auth: { mode: 'secret', secret_env: 'UNSET' } });
    directory.replace({
      epoch: 'e1',
      version: 2,
      sources: [{ definition, origin: 'config', removedFromConfig: true, revision: 2, createdAt: 't', changedAt: 't' }],
      deleted: [],
    });
    expect(directory.get('gone')).toMatchObject({ enabled: false, secret: undefined });
  });
});

describe('isAuthentic', () => {
  test('secret mode compares the default header with the secret exactly', () => {
    const src = inbound({ id: 's', auth: { mode: 'secret', secret_env: 'S' } }, 'open sesame');
    expect(isAuthentic(src, body, { 'x-webhook-secret': 'open sesame' }, nowMs)).toBe(true);
    expect(isAuthentic(src, body, { 'x-webhook-secret': 'open sesame ' }, nowMs)).toBe(false);
    expect(isAuthentic(src, body, { 'x-webhook-secret': 'Open Sesame' }, nowMs)).toBe(false);
    expect(isAuthentic(src, body, {}, nowMs)).toBe(false);
  });

  test('secret mode reads a configured header, by its lowercase name', () => {
    const src = inbound({ id: 's', auth: { mode: 'secret', secret_env: 'S', header: 'X-Token' } }, 'tok');
    expect(isAuthentic(src, body, { 'x-token': 'tok' }, nowMs)).toBe(true);
    expect(isAuthentic(src, body, { 'x-webhook-secret': 'tok' }, nowMs)).toBe(false);
  });

  test('hmac-sha256 mode checks sha256=<hex HMAC> of the raw body', () => {
    const src = inbound({ id: 'gh', auth: { mode: 'hmac-sha256', secret_env: 'S' } }, 'hub secret');
    const signature = `sha256=${createHmac('sha256', 'hub secret').update(body).digest('hex')}`;
    expect(isAuthentic(src, body, { 'x-hub-signature-256': signature }, nowMs)).toBe(true);
    expect(isAuthentic(src, Buffer.from('{"ref":"main","ok":false}'), { 'x-hub-signature-256': signature }, nowMs)).toBe(false);
    const other = `sha256=${createHmac('sha256', 'other').update(body).digest('hex')}`;
    expect(isAuthentic(src, body, { 'x-hub-signature-256': other }, nowMs)).toBe(false);
    expect(isAuthentic(src, body, {}, nowMs)).toBe(false);
  });

  describe('standard-webhooks mode', () => {
    const src = inbound({ id: 'sw', auth: { mode: 'standard-webhooks', secret_env: 'S' } }, SW_SECRET);
    const headersAt = (ms: number, payload = body.toString()) => ({
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(ms / 1_000)),
      'webhook-signature': new Webhook(SW_SECRET).sign('msg_1', new Date(ms), payload),
    });

    test('accepts what the standardwebhooks library signs', () => {
      expect(isAuthentic(src, body, headersAt(nowMs), nowMs)).toBe(true);
      expect(isAuthentic(src, body, headersAt(nowMs - 4 * 60_000), nowMs)).toBe(true);
    });

    test('refuses an altered body, another id, or a missing header', () => {
      expect(isAuthentic(src, Buffer.from('{}'), headersAt(nowMs), nowMs)).toBe(false);
      expect(isAuthentic(src, body, { ...headersAt(nowMs), 'webhook-id': 'msg_2' }, nowMs)).toBe(false);
      const { 'webhook-signature': _, ...unsigned } = headersAt(nowMs);
      expect(isAuthentic(src, body, unsigned, nowMs)).toBe(false);
    });

    test('refuses a timestamp beyond the tolerance, old or new', () => {
      expect(isAuthentic(src, body, headersAt(nowMs - 6 * 60_000), nowMs)).toBe(false);
      expect(isAuthentic(src, body, headersAt(nowMs + 6 * 60_000), nowMs)).toBe(false);
      const strict = inbound({ id: 'sw', auth: { mode: 'standard-webhooks', secret_env: 'S', tolerance: '30s' } }, SW_SECRET);
      expect(isAuthentic(strict, body, headersAt(nowMs - 60_000), nowMs)).toBe(false);
    });
  });
});

describe('sourceEventId', () => {
  const withHeader = inbound({ id: 'gh', auth: { mode: 'secret', secret_env: 'S' }, id_header: 'X-GitHub-Delivery' }, 's');

  test('scopes the id header value by the source id', () => {
    expect(sourceEventId(withHeader, { 'x-github-delivery': 'abc-123' })).toBe('gh.abc-123');
  });

  test('hashes a value that is not a valid event id, stably', () => {
    const id = sourceEventId(withHeader, { 'x-github-delivery': 'a/b c' });
    expect(id).toMatch(/^gh\.[0-9a-f]{32}$/);
    expect(sourceEventId(withHeader, { 'x-github-delivery': 'a/b c' })).toBe(id);
    expect(sourceEventId(withHeader, { 'x-github-delivery': 'a/b d' })).not.toBe(id);
  });

  test('uses webhook-id for a Standard Webhooks source', () => {
    const sw = inbound({ id: 'sw', auth: { mode: 'standard-webhooks', secret_env: 'S' } }, SW_SECRET);
    expect(sourceEventId(sw, { 'webhook-id': 'msg_1' })).toBe('sw.msg_1');
  });

  test('is undefined without a header to read, or without its value', () => {
    const plain = inbound({ id: 'p', auth: { mode: 'secret', secret_env: 'S' } }, 's');
    expect(sourceEventId(plain, { 'webhook-id': 'msg_1' })).toBeUndefined();
    expect(sourceEventId(withHeader, {})).toBeUndefined();
  });
});

describe('excerptOf', () => {
  test('keeps a short body whole and cuts a long one at 256 characters', () => {
    expect(excerptOf(Buffer.from('{"a":1}'))).toBe('{"a":1}');
    expect(excerptOf(Buffer.from('x'.repeat(256)))).toBe('x'.repeat(256));
    expect(excerptOf(Buffer.from('y'.repeat(1_000)))).toBe(`${'y'.repeat(256)}…`);
    expect(excerptOf(Buffer.from('é'.repeat(300)))).toBe(`${'é'.repeat(256)}…`);
  });
});
