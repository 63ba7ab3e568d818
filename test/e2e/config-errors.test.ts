import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'webhooks-bad-config-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('an invalid config stops start-up with every problem listed by path and no stack trace', () => {
  const path = join(dir, 'bad.yaml');
  writeFileSync(
    path,
    ['api: { port: 99999 }', 'endpoints:', '  - { id: Bad Id, url: ftp://example.com, events: ["order..x"] }'].join('\n'),
  );
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/start.ts', '--config', path], { encoding: 'utf8', timeout: 30_000 });

  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`Invalid configuration in ${path}`);
  for (const location of ['api.port', 'endpoints[0].id', 'endpoints[0].url', 'endpoints[0].events[0]']) {
    expect(result.stderr).toContain(`- ${location}:`);
  }
  expect(result.stderr).not.toMatch(/\n\s+at /);
});
