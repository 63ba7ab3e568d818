import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { findFreePort } from '../support/ports.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

// The `webhooks` command, run as a user runs it (its own process), against a running API with keys and a worker.

const KEYS = {
  CLI_MANAGE_KEY: 'cli-operator-key-0123456789',
  CLI_READ_KEY: 'cli-dashboard-key-0123456789',
  WEBHOOKS_SECRET_KEY: 'a source key for the CLI test, 32 chars+',
};
// The operator's key may send and manage; the dashboard's may only read.

interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('webhooks CLI', () => {
  let gateway: TestGateway;
  let receiver: Receiver;

  /** Runs `webhooks <args>` with the manage key unless `env` says otherwise; `stdin` is piped in when given. */
  const webhooks = (args: readonly string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bin/webhooks.ts', ...args], {
        env: { PATH: process.env['PATH'], WEBHOOKS_URL: gateway.url, WEBHOOKS_API_KEY: KEYS.CLI_MANAGE_KEY, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.end(options.stdin ?? '');
      child.once('error', reject);
      child.once('close', (status) => resolve({ status, stdout, stderr }));
    });

  const receivedIds = (): unknown[] => receiver.requests.map((request) => request.headers['webhook-id']);

  beforeAll(async () => {
    receiver = await startReceiver();
    gateway = await startGateway(
      {
        api: {
          keys: [
            { id: 'operator', key_env: 'CLI_MANAGE_KEY', scopes: ['ingest', 'manage'] },
            { id: 'dashboard', key_env: 'CLI_READ_KEY', scopes: ['read'] },
          ],
        },
        endpoints: [{ id: 'crm', url: receiver.url, events: ['order.*'] }],
        event_types: [
          {
            type: 'order.paid',
            description: 'a customer paid',
            schema: { type: 'object', properties: { order: { type: 'number' } } },
          },
          { type: 'order.shipped' },
        ],
      },
      KEYS,
      { reconcileEndpoints: true },
    );
    // The worker creates the config's endpoint as an entity once it polls; the API lists entities.
    await vi.waitFor(
      async () => {
        if (!/^crm\s/m.test((await webhooks(['endpoints', 'list'])).stdout)) throw new Error('crm is not listed yet');
      },
      { timeout: 15_000, interval: 200 },
    );
  });

  afterAll(async () => {
    await gateway?.stop();
    await receiver?.close();
  });

  test('send: accepts an event with inline data, and the endpoint receives it', async () => {
    const run = await webhooks(['send', 'order.paid', '--id', 'cli-1', '--data', '{"order":1}']);

    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toBe('accepted order.paid as cli-1 (workflow event/cli-1)\n');
    await expect.poll(receivedIds).toContain('cli-1');
    expect(JSON.parse(receiver.requests.at(-1)?.body ?? '{}')).toMatchObject({ type: 'order.paid', data: { order: 1 } });
  });

  test('send: a repeat of an id says that nothing new was sent', async () => {
    const run = await webhooks(['send', 'order.paid', '--id', 'cli-1', '--data', '{"order":1}']);

    expect(run).toMatchObject({ status: 0, stdout: 'already accepted, nothing new sent: order.paid as cli-1 (workflow event/cli-1)\n' });
  });

  test('send --data-file - --json: reads the payload from standard input and prints the API answer', async () => {
    const run = await webhooks(['send', 'order.shipped', '--data-file', '-', '--json'], { stdin: '{"carrier":"post"}' });

    expect(run.status).toBe(0);
    const answer = JSON.parse(run.stdout) as { id: string; workflow_id: string };
    expect(answer.workflow_id).toBe(`event/${answer.id}`);
    await expect.poll(receivedIds).toContain(answer.id);
  });

  test('events show: a table of each endpoint’s delivery, every attempt with --attempts, the report with --json', async () => {
    await expect.poll(async () => (await webhooks(['events', 'show', 'cli-1'])).stdout).toMatch(/status:\s+succeeded/);

    const table = await webhooks(['events', 'show', 'cli-1', '--attempts']);
    expect(table.status).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual(['event:  cli-1', 'type:   order.paid', 'status: succeeded']);
    expect(lines).toContainEqual(expect.stringMatching(/^ENDPOINT\s+STATUS\s+ATTEMPTS\s+LAST RESULT\s+NEXT ATTEMPT\s+REASON$/));
    expect(lines).toContainEqual(expect.stringMatching(/^crm\s+succeeded\s+1\s+HTTP 200\s+-\s+-$/));
    expect(lines).toContainEqual(expect.stringMatching(/^crm\s+1\s+\d{4}-\d\d-\d\dT\S+\s+\d+ms\s+HTTP 200\s+delivered$/));

    const json = await webhooks(['events', 'show', 'cli-1', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      event_id: 'cli-1',
      status: 'succeeded',
      deliveries: [{ endpoint_id: 'crm', status: 'succeeded', attempts: [{ attempt: 1, verdict: 'delivered', status_code: 200 }] }],
    });
  });

  test('events replay: sends the event again with the same webhook-id', async () => {
    const before = receivedIds().filter((id) => id === 'cli-1').length;
    const run = await webhooks(['events', 'replay', 'cli-1', '--endpoint', 'crm']);

    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^replaying cli-1 to 1 endpoint \(workflow \S+\)\n$/);
    await expect.poll(() => receivedIds().filter((id) => id === 'cli-1').length).toBe(before + 1);
  });

  test('endpoints list and show: a table of endpoints, one endpoint’s fields, and the JSON of either', async () => {
    const list = await webhooks(['endpoints', 'list']);
    expect(list.status).toBe(0);
    const [heading, row] = list.stdout.split('\n');
    expect(heading).toMatch(/^ID\s+STATUS\s+SINCE\s+EVENTS\s+URL\s+REASON$/);
    expect(row).toMatch(new RegExp(`^crm\\s+active\\s+\\S+ ago\\s+order\\.\\*\\s+${receiver.url.replaceAll('.', '\\.')}\\s+-$`));

    const json = JSON.parse((await webhooks(['endpoints', 'list', '--json'])).stdout) as { id: string }[];
    expect(json.map((endpoint) => endpoint.id)).toEqual(['crm']);

    const show = await webhooks(['endpoints', 'show', 'crm']);
    expect(show.stdout).toMatch(/^id:\s+crm$/m);
    expect(show.stdout).toMatch(/^source:\s+config$/m);
  });

  test('endpoints pause and resume: a delivery waits while paused and goes out on resume', async () => {
    const paused = await webhooks(['endpoints', 'pause', 'crm', '--reason', 'receiver maintenance']);
    expect(paused).toMatchObject({ status: 0, stdout: 'paused crm: now paused\n' });
    const listed = await webhooks(['endpoints', 'list']);
    expect(listed.stdout).toMatch(/^crm\s+paused\s+.*receiver maintenance$/m);

    // The API routes by what it last read of the endpoint entities: wait until it routes to a paused endpoint.
    await expect.poll(() => gateway.registry.routes().route('order.paid')[0]?.status).toBe('paused');
    await webhooks(['send', 'order.paid', '--id', 'cli-held']);
    await expect.poll(async () => (await webhooks(['events', 'show', 'cli-held'])).stdout).toMatch(/^crm\s+held\s/m);
    expect(receivedIds()).not.toContain('cli-held');

    const resumed = await webhooks(['endpoints', 'resume', 'crm']);
    expect(resumed).toMatchObject({ status: 0, stdout: 'resumed crm: now active\n' });
    await expect.poll(receivedIds).toContain('cli-held');
  });

  test('endpoints disable and enable: the status and reason change, and the JSON says so', async () => {
    const disabled = await webhooks(['endpoints', '--reason', 'contract ended', 'disable', 'crm', '--json']);
    expect(disabled.status).toBe(0);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ id: 'crm', status: 'disabled', status_reason: 'contract ended' });

    const enabled = await webhooks(['endpoints', 'enable', 'crm']);
    expect(enabled).toMatchObject({ status: 0, stdout: 'enabled crm: now active\n' });
  });

  test('endpoints deliveries: the events routed to an endpoint, newest first', async () => {
    await expect
      .poll(async () => (await webhooks(['endpoints', 'deliveries', 'crm', '--limit', '50'])).stdout)
      .toMatch(/^cli-1\s+order\.paid\s+succeeded\s+\S+ ago$/m);
    const failed = await webhooks(['endpoints', 'deliveries', 'crm', '--status', 'failed']);
    expect(failed.stdout).toBe('no events for crm\n');

    // One event a page: the first page says how to ask for the next, which lists another event.
    const first = await webhooks(['endpoints', 'deliveries', 'crm', '--limit', '1']);
    const token = /^more: --page-token (\S+)$/m.exec(first.stdout)?.[1];
    expect(token).toBeDefined();
    const second = await webhooks(['endpoints', 'deliveries', 'crm', '--limit', '1', '--page-token', token ?? '']);
    expect(second.status).toBe(0);
    const eventOf = (output: string): string | undefined => output.split('\n')[1]?.split(/\s+/)[0];
    expect(eventOf(second.stdout)).toBeDefined();
    expect(eventOf(second.stdout)).not.toBe(eventOf(first.stdout));
  });

  test('event-types: the catalogue as a table, or as the API lists it with --json', async () => {
    const run = await webhooks(['event-types']);
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      'TYPE           SCHEMA  DESCRIPTION',
      'order.paid     yes     a customer paid',
      'order.shipped  no      -',
      '',
    ]);
    const json = JSON.parse((await webhooks(['event-types', '--json'])).stdout) as { type: string }[];
    expect(json.map((entry) => entry.type)).toEqual(['order.paid', 'order.shipped']);
  });

  test('sources: made with its secret shown once, called, listed, disabled, rotated, its calls shown, deleted', async () => {
    const made = await webhooks(['sources', 'create', '--event-type', 'order.paid', '--id', 'shop', '--name', 'Shop']);
    expect(made.status).toBe(0);
    expect(made.stdout).toContain('made source shop: senders call POST /v1/sources/shop');
    const secret = /secret \(shown once, keep it now\): (\S+)/.exec(made.stdout)?.[1] ?? '';
    expect(secret).toMatch(/^whsec_/);
    const call = (key: string) =>
      fetch(`${gateway.url}/v1/sources/shop`, { method: 'POST', headers: { 'x-webhook-secret': key }, body: '{"order":7}' });
    expect((await call(secret)).status).toBe(202);

    const list = (await webhooks(['sources', 'list'])).stdout;
    expect(list).toMatch(/^shop\s+enabled\s+order\.paid\s+secret\s+api\s+\d+s ago\s+\/v1\/sources\/shop$/m);
    const shown = await webhooks(['sources', 'show', 'shop']);
    expect(shown.stdout).toMatch(/^secret:\s+generated/m);
    expect(shown.stdout).not.toContain(secret);
    expect((await webhooks(['sources', 'invocations', 'shop'])).stdout).toMatch(/^\d+s ago\s+\S+\s+202\s+accepted\s+\S+\s+\{"order":7\}$/m);

    expect((await webhooks(['sources', 'disable', 'shop'])).stdout.trim()).toBe('shop is disabled');
    expect((await call(secret)).status).toBe(403);
    await webhooks(['sources', 'enable', 'shop']);
    const rotated = await webhooks(['sources', 'rotate-secret', 'shop']);
    const fresh = /secret \(shown once, keep it now\): (\S+)/.exec(rotated.stdout)?.[1] ?? '';
    expect(fresh).not.toBe(secret);
    expect((await call(secret)).status).toBe(401);
    expect((await call(fresh)).status).toBe(202);

    expect((await webhooks(['sources', 'delete', 'shop'])).stdout.trim()).toBe('deleted shop: /v1/sources/shop now answers 404');
    expect((await call(fresh)).status).toBe(404);
    const missing = await webhooks(['sources', 'create']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('give --event-type');
  });

  test('API refusals exit 1 with the problem; --json prints the problem body', async () => {
    const missing = await webhooks(['events', 'show', 'no-such-event']);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^error 404: /);

    const readOnly = await webhooks(['endpoints', 'pause', 'crm', '--json'], { env: { WEBHOOKS_API_KEY: KEYS.CLI_READ_KEY } });
    expect(readOnly.status).toBe(1);
    expect(JSON.parse(readOnly.stderr)).toMatchObject({ status: 403, type: expect.any(String), title: expect.any(String) });

    const noKey = await webhooks(['endpoints', 'list'], { env: { WEBHOOKS_API_KEY: '' } });
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toMatch(/^error 401: /);

    const invalid = await webhooks(['send', 'not a type!']);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/^error 400: /);
    // Each problem of the event, located, so the sender knows which field to fix.
    expect(invalid.stderr).toMatch(/^ {2}\/type: event type must be dot-separated words/m);

    const offSchema = await webhooks(['send', 'order.paid', '--data', '{"order":"one"}']);
    expect(offSchema.status).toBe(1);
    expect(offSchema.stderr).toMatch(/^error 400: /);
    expect(offSchema.stderr).toMatch(/^ {2}\/data\/order: must be number$/m);

    const unlisted = await webhooks(['send', 'order.refunded']);
    expect(unlisted.status).toBe(1);
    expect(unlisted.stderr).toMatch(/^error 422: /);
  });

  test('usage mistakes exit 2 with the usage, before calling the API', async () => {
    const badJson = await webhooks(['send', 'order.paid', '--data', '{not json']);
    expect(badJson.status).toBe(2);
    expect(badJson.stderr).toMatch(/^the payload is not JSON/);
    expect(badJson.stderr).toContain('usage: webhooks send <type> [options]');

    const unknownOption = await webhooks(['endpoints', 'list', '--colour']);
    expect(unknownOption.status).toBe(2);
    expect(unknownOption.stderr).toMatch(/Unknown option '--colour'/);

    const missingOperand = await webhooks(['endpoints', 'pause']);
    expect(missingOperand.status).toBe(2);
    expect(missingOperand.stderr).toMatch(/^endpoints pause takes <id>/);

    const none = await webhooks(['--json']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^which command\?/);

    const unknown = await webhooks(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^unknown command: frobnicate/);

    const missingFile = await webhooks(['send', 'order.paid', '--data-file', 'no/such/file.json']);
    expect(missingFile.status).toBe(2);
    expect(missingFile.stderr).toMatch(/^cannot read no\/such\/file\.json: ENOENT/);

    const help = await webhooks(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('endpoints pause <id>');
  });

  test('options of every command may also come before it', async () => {
    const run = await webhooks(['--json', '--url', gateway.url, 'endpoints', 'list']);
    expect(run.status).toBe(0);
    expect((JSON.parse(run.stdout) as { id: string }[]).map((endpoint) => endpoint.id)).toEqual(['crm']);
  });

  test('an API that is not there: exit 1 and says which address failed', async () => {
    const port = await findFreePort();
    const run = await webhooks(['endpoints', 'list', '--url', `http://127.0.0.1:${port}`]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`cannot reach the API at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });
});
