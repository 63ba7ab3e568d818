import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { localSourceKey } from '../../host/source-key.js';

describe('localSourceKey', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('is made once, readable by its owner only, and the same at every later start', async () => {
    dir = await mkdtemp(join(tmpdir(), 'source-key-'));
    const dataDir = join(dir, '.data');
    const first = await localSourceKey(dataDir);
    expect(first).toMatchObject({ created: true, path: join(dataDir, 'source-key') });
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect(await localSourceKey(dataDir)).toEqual({ ...first, created: false });
  });
});
