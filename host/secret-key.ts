import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILE_NAME = 'secret-key';

/**
 * The source key of an embedded gateway (`npm start` without a Temporal address): kept in its data folder (mode
 * 0600) beside the server's database, so that secrets generated for sources stay valid across restarts, as the
 * sources themselves do. A real deployment sets `secret_key_env` itself, the same on every API process.
 */
export async function localSecretKey(dataDir: string): Promise<{ key: string; path: string; created: boolean }> {
  const path = join(dataDir, FILE_NAME);
  try {
    const key = (await readFile(path, 'utf8')).trim();
    if (key) return { key, path, created: false };
  } catch {
    // first start with this data folder
  }
  const key = randomBytes(32).toString('hex');
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return { key, path, created: true };
}
