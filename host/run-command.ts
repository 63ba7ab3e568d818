import { spawn } from 'node:child_process';

/**
 * Runs a program to its end, passing each line it prints to `onLine` and keeping its standard output and the last 40
 * lines of both streams, for an error report. Rejects only when it cannot be started.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void = () => {},
): Promise<{ code: number; stdout: string; tail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stdout = '';
    const keep = (line: string): void => {
      if (line.trim() === '') return;
      lines.push(line);
      if (lines.length > 40) lines.shift();
      onLine(line);
    };
    // A chunk may end mid-line: the rest of the line comes with the next one.
    const collector = () => {
      let pending = '';
      return {
        add(chunk: string): void {
          const parts = (pending + chunk).split('\n');
          pending = parts.pop() ?? '';
          parts.forEach(keep);
        },
        end: () => keep(pending),
      };
    };
    const [out, err] = [collector(), collector()];
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      out.add(chunk.toString('utf8'));
    });
    child.stderr.on('data', (chunk: Buffer) => err.add(chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      out.end();
      err.end();
      resolve({ code: code ?? 1, stdout, tail: lines.join('\n') });
    });
  });
}
