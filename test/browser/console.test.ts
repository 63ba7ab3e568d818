import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { chromiumPath } from '../support/chromium.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

// An operator's day in the console, in a real browser: everything the seeds' pages let their users click, done by
// clicking, with the loopback receiver and the API as the witnesses. Screenshots of each page go to
// test-artifacts/browser/, and each page is checked for accessibility problems with axe-core.

const KEYS = {
  BROWSER_MANAGE_KEY: 'browser-manage-key-0123456789',
  BROWSER_READ_KEY: 'browser-read-key-0123456789',
  WEBHOOKS_SECRET_KEY: 'a source key for the browser tier, 32+ chars',
};
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/browser/', import.meta.url));
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let gateway: TestGateway;
let receiver: Receiver;
let browser: Browser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  receiver = await startReceiver();
  gateway = await startGateway(
    {
      api: {
        keys: [
          { id: 'operator', key_env: 'BROWSER_MANAGE_KEY', scopes: ['ingest', 'manage'] },
          { id: 'viewer', key_env: 'BROWSER_READ_KEY', scopes: ['read'] },
        ],
      },
      delivery: { retry: { schedule: [] } },
    },
    KEYS,
  );
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await receiver?.close();
});

/** Saves what the page shows, and fails on any serious or critical accessibility problem axe-core finds in it. */
async function check(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } })
      .axe;
    const { violations: found } = await axe.run();
    return found
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => `${violation.id} (${violation.nodes.length})`);
  });
  expect(violations, `accessibility problems on ${name}`).toEqual([]);
}

async function signIn(key: string): Promise<Page> {
  // The axe-core checker is injected as a script, which the console's own policy rightly forbids.
  const page = await (await browser.newContext({ bypassCSP: true })).newPage();
  await page.goto(`${gateway.url}/console`);
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
  return page;
}

const notice = (page: Page) => page.getByRole('status');

async function sendEvent(id: string): Promise<void> {
  const response = await fetch(`${gateway.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEYS.BROWSER_MANAGE_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id, type: 'order.paid', data: { total: 12 } }),
  });
  expect(response.status).toBe(202);
}

const received = (id: string) => receiver.requests.filter((request) => request.headers['webhook-id'] === id).length;

describe('the console in a browser', () => {
  test('an operator makes an endpoint, tests, pauses, resumes and redelivers, and runs a source from birth to delete', async () => {
    const page = await signIn(KEYS.BROWSER_MANAGE_KEY);
    await check(page, 'login-done-endpoints');

    // Keyboard: the first Tab reaches the navigation.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Endpoints');

    await page.getByRole('link', { name: '+ New endpoint' }).click();
    await check(page, 'endpoint-new');
    await page.getByLabel('Id', { exact: true }).fill('crm');
    await page.getByLabel('Name', { exact: true }).fill('CRM');
    await page.getByLabel('URL', { exact: true }).fill(receiver.url);
    await page.getByLabel('Events', { exact: true }).fill('order.*');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await expect.poll(() => notice(page).textContent()).toBe('Endpoint created.');
    await check(page, 'endpoint');

    await page.getByRole('button', { name: 'Send test' }).click();
    await expect.poll(() => notice(page).textContent()).toMatch(/^Test event succeeded: HTTP 200 in \d+ ms\.$/);
    expect(receiver.requests.length).toBeGreaterThan(0);

    await page.getByLabel('Reason to pause', { exact: true }).fill('maintenance window');
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => notice(page).textContent()).toBe('Now paused.');
    // Routing hears of the pause through the change log: the event is held, not sent.
    await expect
      .poll(
        () =>
          gateway.registry
            .routes()
            .route('order.paid')
            .find((endpoint) => endpoint.id === 'crm')?.status,
      )
      .toBe('paused');
    await sendEvent('browser-1');
    await page.goto(`${gateway.url}/console/events/browser-1`);
    await expect.poll(async () => (await page.reload(), await page.locator('main').textContent())).toContain('held');
    expect(received('browser-1')).toBe(0);
    await check(page, 'event-held');

    await page.getByRole('link', { name: 'crm' }).first().click();
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => notice(page).textContent()).toBe('Now active.');
    await expect.poll(() => received('browser-1')).toBe(1);

    await page.goto(`${gateway.url}/console/events/browser-1`);
    await expect.poll(async () => (await page.reload(), await page.locator('main').textContent())).toContain('succeeded');
    await page.getByRole('button', { name: 'Redeliver to crm' }).click();
    await expect.poll(() => notice(page).textContent()).toMatch(/^Redelivering as workflow /);
    await expect.poll(() => received('browser-1')).toBe(2);
    await check(page, 'event');

    // A source: made, called, seen in its log, disabled (403) and deleted (404).
    await page.getByRole('link', { name: 'Inbound sources' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Shop');
    await page.getByLabel('Event type', { exact: true }).fill('order.paid');
    await page.getByRole('button', { name: 'Create source' }).click();
    const secret = (await page.locator('#source-secret').textContent()) ?? '';
    const url = (await page.locator('#source-url').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await check(page, 'source-made');
    const call = () =>
      fetch(url, { method: 'POST', headers: { 'x-webhook-secret': secret, 'content-type': 'application/json' }, body: '{"from":"shop"}' });
    expect((await call()).status).toBe(202);

    await page.getByRole('link', { name: 'Go to the source' }).click();
    await expect.poll(async () => (await page.reload(), await page.locator('main').textContent())).toContain('{"from":"shop"}');
    expect(await page.locator('main').textContent()).not.toContain(secret);
    await check(page, 'source');
    // Kubiya's Test: review the payload, send it, and see the call in the log.
    await page.getByLabel('Test payload', { exact: true }).fill('{"from": "the console test"}');
    await page.getByRole('button', { name: 'Send test' }).click();
    await expect.poll(() => notice(page).textContent()).toMatch(/^Test call accepted as event /);
    expect(await page.locator('main').textContent()).toContain('{"from":"the console test"}');
    await page.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => notice(page).textContent()).toBe('Disabled: calls now get 403.');
    expect((await call()).status).toBe(403);
    const id = url.split('/').at(-1) ?? '';
    await page.getByLabel('Type the id to confirm', { exact: true }).fill(id);
    await page.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => notice(page).textContent()).toContain('its URL now answers 404 for good');
    expect((await call()).status).toBe(404);
    await check(page, 'sources');

    await page.getByRole('link', { name: 'Event types' }).click();
    await check(page, 'event-types');
  });

  test('a read key sees no change controls, and a change it forges is refused', async () => {
    const made = await fetch(`${gateway.url}/v1/endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.BROWSER_MANAGE_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'watched', url: receiver.url }),
    });
    expect(made.status).toBe(201);
    const page = await signIn(KEYS.BROWSER_READ_KEY);
    expect(await page.getByRole('link', { name: '+ New endpoint' }).count()).toBe(0);
    await page.goto(`${gateway.url}/console/endpoints/watched`);
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Send test' }).count()).toBe(0);
    await check(page, 'endpoint-read-only');

    // A form posted without the page's token, as another site would post it, changes nothing.
    const forged = await page.request.post(`${gateway.url}/console/endpoints/watched/action`, { form: { action: 'disable' } });
    expect(forged.status()).toBe(403);
    const state = await fetch(`${gateway.url}/v1/endpoints/watched`, { headers: { authorization: `Bearer ${KEYS.BROWSER_READ_KEY}` } });
    expect(((await state.json()) as { status: string }).status).toBe('active');
  });
});
