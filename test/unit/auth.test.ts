import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ApiKeySchema, type ApiKeyConfig } from '../../config/ingest.js';
import { ConfigError } from '../../errors.js';
import { ANONYMOUS, createKeyring } from '../../server/auth.js';

const key = (input: Record<string, unknown>): ApiKeyConfig => ApiKeySchema.parse(input);
const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

const CI_KEY = 'ci-key-0123456789';
const ADMIN_KEY = 'admin-key-abcdef';
const READER_KEY = 'reader-key-xyz';

describe('createKeyring without keys', () => {
  const keyring = createKeyring([], {});

  test('requires no key', () => {
    expect(keyring.required).toBe(false);
  });

  test.each([undefined, '', 'Bearer anything', 'Basic dXNlcjpwYXNz'])('identifies %j as the anonymous principal', (header) => {
    const principal = keyring.identify(header);
    expect(principal).toBe(ANONYMOUS);
    expect([...(principal?.scopes ?? [])].sort()).toEqual(['ingest', 'manage', 'read']);
  });
});

describe('createKeyring with keys', () => {
  const env = { CI_KEY, ADMIN_KEY };
  const keyring = createKeyring(
    [
      key({ id: 'ci', key_env: 'CI_KEY' }),
      key({ id: 'admin', key_env: 'ADMIN_KEY', scopes: ['manage'] }),
      key({ id: 'reader', key_sha256: sha256Hex(READER_KEY), scopes: ['read', 'ingest'] }),
    ],
    env,
  );

  test('requires a key', () => {
    expect(keyring.required).toBe(true);
  });

  test('identifies a key read from the environment, with the default ingest scope', () => {
    const principal = keyring.identify(`Bearer ${CI_KEY}`);
    expect(principal?.keyId).toBe('ci');
    expect([...(principal?.scopes ?? [])]).toEqual(['ingest']);
  });

  test('identifies a key given by its SHA-256, with its scopes', () => {
    const principal = keyring.identify(`Bearer ${READER_KEY}`);
    expect(principal?.keyId).toBe('reader');
    expect([...(principal?.scopes ?? [])].sort()).toEqual(['ingest', 'read']);
  });

  test('gives a manage key the read scope too', () => {
    const principal = keyring.identify(`Bearer ${ADMIN_KEY}`);
    expect(principal?.keyId).toBe('admin');
    expect(principal?.scopes.has('manage')).toBe(true);
    expect(principal?.scopes.has('read')).toBe(true);
    expect(principal?.scopes.has('ingest')).toBe(false);
  });

  test('accepts the scheme in any case', () => {
    expect(keyring.identify(`bearer ${CI_KEY}`)?.keyId).toBe('ci');
    expect(keyring.identify(`BEARER ${CI_KEY}`)?.keyId).toBe('ci');
  });

  test.each([
    ['a wrong key', 'Bearer not-a-key'],
    ['no header', undefined],
    ['an empty header', ''],
    ['the Basic scheme', `Basic ${Buffer.from(`ci:${CI_KEY}`).toString('base64')}`],
    ['a key without a scheme', CI_KEY],
    ['Bearer without a token', 'Bearer'],
    ['Bearer with only spaces', 'Bearer   '],
    ['a key with a suffix', `Bearer ${CI_KEY}x`],
    ['the hash instead of the key', `Bearer ${sha256Hex(READER_KEY)}`],
  ])('identifies nobody from %s', (_, header) => {
    expect(keyring.identify(header)).toBeUndefined();
  });

  test('does not treat one key as another', () => {
    expect(keyring.identify(`Bearer ${ADMIN_KEY}`)?.keyId).not.toBe('ci');
    expect(keyring.identify(`Bearer ${CI_KEY}`)?.scopes.has('manage')).toBe(false);
  });
});

describe('createKeyring with a missing variable', () => {
  test('throws a ConfigError naming the key_env of every key whose variable is unset', () => {
    const keys = [key({ id: 'a', key_env: 'A_KEY' }), key({ id: 'b', key_env: 'B_KEY' }), key({ id: 'c', key_env: 'C_KEY' })];
    let caught: unknown;
    try {
      createKeyring(keys, { A_KEY: 'a-long-enough-key-0001', C_KEY: '' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.path)).toEqual(['api.keys[1].key_env', 'api.keys[2].key_env']);
    expect((caught as ConfigError).problems[0]?.message).toContain('B_KEY');
  });

  test('refuses at start a key that is short, holds whitespace, or repeats another', () => {
    const problemsFor = (env: NodeJS.ProcessEnv, keys = [key({ id: 'a', key_env: 'A_KEY' })]): string[] => {
      try {
        createKeyring(keys, env);
      } catch (error) {
        return (error as ConfigError).problems.map((p) => p.message);
      }
      return [];
    };
    expect(problemsFor({ A_KEY: 'short' })).toEqual(['A_KEY is shorter than 16 characters']);
    expect(problemsFor({ A_KEY: 'a-long-enough-key-0001\n' })).toEqual(['A_KEY holds whitespace; a key cannot']);
    const twice = [key({ id: 'a', key_env: 'A_KEY' }), key({ id: 'b', key_sha256: sha256Hex('a-long-enough-key-0001') })];
    expect(problemsFor({ A_KEY: 'a-long-enough-key-0001' }, twice)).toEqual(['keys "a" and "b" are the same key']);
  });

  test('does not need the environment for a key given by its hash', () => {
    const keyring = createKeyring([key({ id: 'h', key_sha256: sha256Hex('k') })], {});
    expect(keyring.identify('Bearer k')?.keyId).toBe('h');
  });
});
