import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { localSecretKey } from '../../host/secret-key.js';

describe('localSecretKey', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('is made once, readable by its owner only, and the same at every later start', async () => {
    dir = await mkdtemp(join(tmpdir(), 'secret-key-'));
    const dataDir = join(dir, '.data');
    const first = await localSecretKey(dataDir);
    expect(first).toMatchObject({ created: true, path: join(dataDir, 'secret-key') });
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect(await localSecretKey(dataDir)).toEqual({ ...first, created: false });
  });
});
