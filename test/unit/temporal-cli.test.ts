import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { TemporalCliError } from '../../errors.js';
import { cachedCliPath, ensureTemporalCli } from '../../host/temporal-cli.js';

const root = mkdtempSync(join(tmpdir(), 'webhooks-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function executable(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

describe('ensureTemporalCli', () => {
  test('uses TEMPORAL_CLI_PATH first', async () => {
    const explicit = executable(join(root, 'explicit', 'temporal'));
    const onPath = executable(join(root, 'bin-a', 'temporal'));
    expect(await ensureTemporalCli({ env: { TEMPORAL_CLI_PATH: explicit, PATH: dirname(onPath) } })).toBe(explicit);
  });

  test('says so when TEMPORAL_CLI_PATH points at nothing usable', async () => {
    await expect(ensureTemporalCli({ env: { TEMPORAL_CLI_PATH: join(root, 'missing') } })).rejects.toThrow(
      /TEMPORAL_CLI_PATH is set to .*missing/,
    );
  });

  test('then temporal on PATH', async () => {
    const onPath = executable(join(root, 'bin-b', 'temporal'));
    expect(
      await ensureTemporalCli({ env: { PATH: ['/nonexistent', dirname(onPath)].join(':'), XDG_CACHE_HOME: join(root, 'cache-b') } }),
    ).toBe(onPath);
  });

  test('then the per-user cache, outside the clone', async () => {
    const env = { PATH: '/nonexistent', XDG_CACHE_HOME: join(root, 'cache-c') };
    const cached = executable(cachedCliPath(env));
    expect(cached).toBe(join(root, 'cache-c', 'temporal-webhooks', 'temporal-cli-1.5.1', 'temporal'));
    expect(await ensureTemporalCli({ env })).toBe(cached);
  });

  test('without a CLI or Go, explains how to get either', async () => {
    const env = { PATH: '/nonexistent', XDG_CACHE_HOME: join(root, 'cache-d') };
    const failure = ensureTemporalCli({ env, goFallbackPaths: [] });
    await expect(failure).rejects.toBeInstanceOf(TemporalCliError);
    await expect(failure).rejects.toThrow(/install Go.*TEMPORAL_CLI_PATH.*TEMPORAL_ADDRESS/s);
  });

  test('builds with go install into the cache, printing progress, and reports a failed build with its output', async () => {
    // A stand-in for `go` that fails like a proxy refusing a module: the real build takes minutes.
    const fakeGo = join(root, 'go-bin', 'go');
    mkdirSync(dirname(fakeGo), { recursive: true });
    writeFileSync(
      fakeGo,
      '#!/bin/sh\necho "go: downloading github.com/temporalio/cli v1.5.1" >&2\necho "go: module lookup disabled" >&2\nexit 1\n',
    );
    chmodSync(fakeGo, 0o755);
    const messages: string[] = [];
    const env = { PATH: dirname(fakeGo), XDG_CACHE_HOME: join(root, 'cache-e') };

    const error = await ensureTemporalCli({ env, log: (message) => messages.push(message) }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TemporalCliError);
    expect((error as TemporalCliError).message).toMatch(/go install github.com\/temporalio\/cli\/cmd\/temporal@v1.5.1 failed/);
    expect((error as TemporalCliError).buildOutput).toContain('module lookup disabled');
    expect(messages[0]).toMatch(/Building the Temporal CLI v1.5.1/);
    expect(messages).toContain('  go: downloading github.com/temporalio/cli v1.5.1');
  });

  test('puts a successful build where the cache expects it', async () => {
    const fakeGo = join(root, 'go-ok', 'go');
    mkdirSync(dirname(fakeGo), { recursive: true });
    writeFileSync(fakeGo, '#!/bin/sh\nprintf "#!/bin/sh\\n" > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n');
    chmodSync(fakeGo, 0o755);
    const env = { PATH: dirname(fakeGo), XDG_CACHE_HOME: join(root, 'cache-f') };

    expect(await ensureTemporalCli({ env, log: () => {} })).toBe(cachedCliPath(env));
    expect(await ensureTemporalCli({ env: { ...env, PATH: '/nonexistent' } })).toBe(cachedCliPath(env));
  });
});
