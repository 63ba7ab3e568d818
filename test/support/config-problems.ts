import { ConfigError } from '../../errors.js';

/** The problems a ConfigError from `run` lists, each as `path: message`; fails if `run` throws none. */
export function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected a ConfigError');
}
