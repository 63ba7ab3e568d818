import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { undoOnInterrupt } from './interrupt.js';

const run = promisify(execFile);
const CHUNK = Buffer.alloc(1 << 20);

/** A small filesystem of its own (a tmpfs), which a scenario can fill to the last byte and free again. */
export interface SmallDisk {
  readonly path: string;
  /** Writes a filler file until the filesystem refuses (ENOSPC); resolves with the bytes written. */
  fill(): Promise<number>;
  /** Deletes the filler. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

/** Mounts a tmpfs of `sizeMiB`: root only (`mount` refuses others), which is why the scenario says so when it cannot. */
export async function mountSmallDisk(sizeMiB: number): Promise<SmallDisk> {
  const path = await mkdtemp(join(tmpdir(), 'webhooks-chaos-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', path]);
  } catch (error) {
    await rmdir(path);
    throw new Error(`could not mount a ${sizeMiB} MiB tmpfs (mounting needs root): ${(error as Error).message.trim()}`, { cause: error });
  }
  const filler = join(path, 'filler');
  const unmount = async (): Promise<void> => {
    await run('umount', ['--lazy', path]).catch(() => undefined);
    await rmdir(path).catch(() => undefined);
  };
  const forget = undoOnInterrupt(unmount);
  return {
    path,
    async fill() {
      const file = await open(filler, 'a');
      let written = 0;
      try {
        // Megabytes first, then the last few kilobytes the megabytes left over.
        for (const size of [CHUNK.length, 4_096, 512]) {
          for (;;) {
            try {
              written += (await file.write(CHUNK, 0, size)).bytesWritten;
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw error;
            }
          }
        }
      } finally {
        await file.close();
      }
      return written;
    },
    free: () => rm(filler, { force: true }),
    async unmount() {
      forget();
      await unmount();
    },
  };
}
