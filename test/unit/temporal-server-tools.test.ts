import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { TemporalCliError } from '../../errors.js';
import { cachedServerToolPaths, ensureTemporalServerTools } from '../../host/temporal-server-tools.js';

const root = mkdtempSync(join(tmpdir(), 'webhooks-server-tools-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ensureTemporalServerTools', () => {
  test('caches the three programs per user, outside the clone, by release', () => {
    const paths = cachedServerToolPaths({ XDG_CACHE_HOME: join(root, 'cache-a') });
    expect(paths).toEqual({
      server: join(root, 'cache-a', 'temporal-webhooks', 'temporal-server-1.29.1', 'temporal-server'),
      sqlTool: join(root, 'cache-a', 'temporal-webhooks', 'temporal-server-1.29.1', 'temporal-sql-tool'),
      uiServer: join(root, 'cache-a', 'temporal-webhooks', 'temporal-ui-server-2.42.1', 'ui-server'),
    });
  });

  test('without a build or Go, says how to get one', async () => {
    const env = { PATH: '/nonexistent', XDG_CACHE_HOME: join(root, 'cache-b') };
    const failure = ensureTemporalServerTools({ env, goFallbackPaths: [], log: () => {} });
    await expect(failure).rejects.toBeInstanceOf(TemporalCliError);
    await expect(failure).rejects.toThrow(/install Go.*TEMPORAL_SERVER_PATH/s);
  });

  test('reports a failed build with the exact go install command and its output, and builds nothing else', async () => {
    const fakeGo = join(root, 'go-fails', 'go');
    mkdirSync(dirname(fakeGo), { recursive: true });
    writeFileSync(fakeGo, '#!/bin/sh\necho "$@" >> "${0%/*}/calls"\necho "go: go.temporal.io/server@v1.29.1: proxy refused" >&2\nexit 1\n');
    chmodSync(fakeGo, 0o755);
    const messages: string[] = [];
    const env = { PATH: dirname(fakeGo), XDG_CACHE_HOME: join(root, 'cache-c') };

    const error = await ensureTemporalServerTools({ env, log: (message) => messages.push(message) }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TemporalCliError);
    expect((error as TemporalCliError).message).toBe('go install go.temporal.io/server/cmd/server@v1.29.1 failed with exit code 1.');
    expect((error as TemporalCliError).buildOutput).toContain('proxy refused');
    expect(messages[0]).toMatch(/^Building the Temporal server v1.29.1 with Go into .*temporal-server-1.29.1/);
    expect(readFileSync(join(dirname(fakeGo), 'calls'), 'utf8')).toBe('install go.temporal.io/server/cmd/server@v1.29.1\n');
  });
});
