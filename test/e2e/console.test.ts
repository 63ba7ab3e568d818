import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { inChromium } from '../support/chromium.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

// The web console as a browser uses it: a sign-in that keeps the key in an HttpOnly cookie, forms whose changes need
// the page's token, and pages rendered from the API's own answers.

const KEYS = {
  CONSOLE_MANAGE_KEY: 'console-manage-key-0123456789',
  CONSOLE_READ_KEY: 'console-read-key-0123456789',
  WEBHOOKS_SECRET_KEY: 'a source key for the console test, 32+ chars',
};

let gateway: TestGateway;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  gateway = await startGateway(
    {
      api: {
        keys: [
          { id: 'operator', key_env: 'CONSOLE_MANAGE_KEY', scopes: ['ingest', 'manage'] },
          { id: 'viewer', key_env: 'CONSOLE_READ_KEY', scopes: ['read'] },
        ],
      },
      delivery: { retry: { schedule: [] } },
      event_types: [
        {
          type: 'order.paid',
          description: 'a customer paid',
          schema: { type: 'object', properties: { total: { type: 'number', minimum: 5 } } },
        },
      ],
    },
    KEYS,
  );
});

afterAll(async () => {
  await gateway?.stop();
  await receiver?.close();
});

/** A browser of the console: it keeps the cookie it is given and follows no redirect by itself. */
function browser() {
  let cookie = '';
  const request = async (method: 'GET' | 'POST', path: string, form?: Record<string, string>, headers: Record<string, string> = {}) => {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    const set = response.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0] ?? '';
    return {
      status: response.status,
      location: response.headers.get('location') ?? '',
      // Read as a browser shows it: any run of white space is one space.
      text: (await response.text()).replace(/\s+/g, ' '),
      headers: response.headers,
    };
  };
  return {
    get: (path: string) => request('GET', path),
    post: (path: string, form: Record<string, string>, headers?: Record<string, string>) => request('POST', path, form, headers),
    get cookie() {
      return cookie;
    },
  };
}

const tokenOf = (page: string): string => /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

async function signedIn(key: string) {
  const user = browser();
  const login = await user.post('/console/login', { key, next: '/console/endpoints' });
  expect(login).toMatchObject({ status: 303, location: '/console/endpoints' });
  return user;
}

describe('the console', () => {
  test('asks for a key, keeps it in an HttpOnly, SameSite=Strict cookie, and refuses a wrong one', async () => {
    const user = browser();
    const away = await user.get('/console/endpoints');
    expect(away).toMatchObject({ status: 303, location: '/console/login?next=%2Fconsole%2Fendpoints' });
    const wrong = await user.post('/console/login', { key: 'not-a-key-of-this-api', next: '/console/endpoints' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That is not a key of this API.');
    expect(user.cookie).toBe('');

    const response = await fetch(`${gateway.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: KEYS.CONSOLE_READ_KEY, next: 'https://evil.example/' }).toString(),
    });
    expect(response.headers.get('location')).toBe('/console/endpoints');
    expect(response.headers.get('set-cookie')).toMatch(/^webhooks_console=[^;]+; Path=\/console; HttpOnly; SameSite=Strict$/);
    const page = await fetch(`${gateway.url}/console/endpoints`, {
      headers: { cookie: response.headers.get('set-cookie')?.split(';')[0] ?? '' },
    });
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('viewer (read)');
  });

  test('makes an endpoint from its form, shows it with its health, sends a test, pauses it with a reason, and deletes it', async () => {
    const user = await signedIn(KEYS.CONSOLE_MANAGE_KEY);
    const form = await user.get('/console/endpoints/new');
    const csrf = tokenOf(form.text);
    expect(csrf).not.toBe('');

    const refused = await user.post('/console/endpoints/new', { csrf, id: 'Bad Id', url: receiver.url, events: 'order.*', enabled: 'on' });
    expect(refused.status).toBe(200);
    expect(refused.text).toContain('/id: endpoint id must be lowercase');

    const made = await user.post('/console/endpoints/new', {
      csrf,
      id: 'shop',
      name: 'Shop <backend>',
      url: receiver.url,
      events: 'order.*\nrefund.created',
      headers: 'X-Team: payments',
      auth_type: 'none',
      signing_scheme: 'default',
      format: 'event',
      data_key: 'order',
      retry_schedule: '1m, 5m',
      enabled: 'on',
    });
    expect(made).toMatchObject({ status: 303, location: '/console/endpoints/shop?done=Endpoint%20created.' });
    const shown = await user.get(made.location);
    expect(shown.text).toContain('Endpoint created.');
    expect(shown.text).toContain('Shop &lt;backend&gt; (shop)');
    expect(shown.text).toContain('order.*, refund.created');
    expect(shown.text).toContain('event (data under order)');

    const tested = await user.post('/console/endpoints/shop/test', { csrf });
    expect(decodeURIComponent(tested.location)).toMatch(/Test event succeeded: HTTP 200 in \d+ ms\./);
    expect(receiver.requests.at(-1)?.headers['x-team']).toBe('payments');

    const paused = await user.post('/console/endpoints/shop/action', { csrf, action: 'pause', reason: 'deploying' });
    expect(decodeURIComponent(paused.location)).toContain('Now paused.');
    expect((await user.get('/console/endpoints?status=paused')).text).toContain('deploying');
    expect((await user.get('/console/endpoints?status=active')).text).not.toContain('href="/console/endpoints/shop"');

    // Edit: a setting left blank is removed, and the endpoint falls back to the gateway's default.
    const edit = await user.get('/console/endpoints/shop/edit');
    expect(edit.text).toContain('value="1m, 5m"');
    const edited = await user.post('/console/endpoints/shop/edit', {
      csrf,
      url: receiver.url,
      events: 'order.*',
      auth_type: 'none',
      signing_scheme: 'default',
      format: '',
      data_key: '',
      retry_schedule: '',
      enabled: 'on',
    });
    expect(edited.status).toBe(303);
    const api = await fetch(`${gateway.url}/v1/endpoints/shop`, { headers: { authorization: `Bearer ${KEYS.CONSOLE_MANAGE_KEY}` } });
    const definition = (await api.json()) as Record<string, unknown>;
    expect(definition).toMatchObject({ events: ['order.*'], status: 'paused' });
    for (const removed of ['name', 'format', 'data_key', 'retry']) expect(definition).not.toHaveProperty(removed);

    expect(decodeURIComponent((await user.post('/console/endpoints/shop/delete', { csrf, confirm: 'nope' })).location)).toContain(
      'Type the endpoint’s id',
    );
    const deleted = await user.post('/console/endpoints/shop/delete', { csrf, confirm: 'shop' });
    expect(decodeURIComponent(deleted.location)).toBe('/console/endpoints?done=Deleted shop.');
  });

  test('generates a signing secret and shows it once; an edit keeps what the form does not show', async () => {
    const user = await signedIn(KEYS.CONSOLE_MANAGE_KEY);
    const csrf = tokenOf((await user.get('/console/endpoints/new')).text);
    const made = await user.post('/console/endpoints/new', {
      csrf,
      id: 'signed',
      url: receiver.url,
      events: 'signed.*',
      auth_type: 'none',
      signing_scheme: 'standard-webhooks',
      signing_secret_env: '',
      enabled: 'on',
    });
    expect(made.status).toBe(200);
    const secret = /id="signing-secret">([^<]+)</.exec(made.text)?.[1] ?? '';
    expect(secret).toMatch(/^whsec_/);
    const page = await user.get('/console/endpoints/signed');
    expect(page.text).toMatch(/standard-webhooks with a secret the gateway generated \(id [0-9a-f]{16}\)/);
    expect(page.text).not.toContain(secret);
    const rotated = await user.post('/console/endpoints/signed/rotate-signing-secret', { csrf });
    const fresh = /id="signing-secret">([^<]+)</.exec(rotated.text)?.[1] ?? '';
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(secret);

    // An exponential policy is not on the form: renaming the endpoint there leaves it as it is.
    const manage = { authorization: `Bearer ${KEYS.CONSOLE_MANAGE_KEY}`, 'content-type': 'application/json' };
    const patch = await fetch(`${gateway.url}/v1/endpoints/signed`, {
      method: 'PATCH',
      headers: manage,
      body: JSON.stringify({ retry: { exponential: { maximum_attempts: 4 } } }),
    });
    const beforeEdit = (await patch.json()) as { signing: { secret_id: string } };
    const edited = await user.post('/console/endpoints/signed/edit', {
      csrf,
      name: 'Signed',
      url: receiver.url,
      events: 'signed.*',
      auth_type: 'none',
      signing_scheme: 'standard-webhooks',
      signing_secret_env: '',
      retry_schedule: '',
      enabled: 'on',
    });
    expect(edited.status).toBe(303);
    const definition = (await (await fetch(`${gateway.url}/v1/endpoints/signed`, { headers: manage })).json()) as Record<string, unknown>;
    const secretId = (definition['signing'] as { secret_id?: string }).secret_id;
    expect(definition).toMatchObject({
      name: 'Signed',
      retry: { exponential: { maximum_attempts: 4 } },
      signing: { scheme: 'standard-webhooks' },
    });
    // The edit kept the secret that signs: the form sends no id, and the gateway keeps the one it had.
    expect(secretId).toBe(beforeEdit.signing.secret_id);
  });

  test('refuses a change without the page’s token or from another origin, and hides changes from a read key', async () => {
    const operator = await signedIn(KEYS.CONSOLE_MANAGE_KEY);
    const csrf = tokenOf((await operator.get('/console/endpoints/new')).text);
    const forged = await operator.post('/console/endpoints/new', { id: 'forged', url: receiver.url, enabled: 'on' });
    expect(forged.status).toBe(403);
    const foreign = await operator.post(
      '/console/endpoints/new',
      { csrf, id: 'forged', url: receiver.url, enabled: 'on' },
      { origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
    expect(
      (await fetch(`${gateway.url}/v1/endpoints/forged`, { headers: { authorization: `Bearer ${KEYS.CONSOLE_MANAGE_KEY}` } })).status,
    ).toBe(404);

    const viewer = await signedIn(KEYS.CONSOLE_READ_KEY);
    const list = await viewer.get('/console/endpoints');
    expect(list.text).not.toContain('+ New endpoint');
    const viewerToken = tokenOf((await viewer.get('/console/sources')).text);
    expect(viewerToken).not.toBe(csrf);
    const attempt = await viewer.post('/console/sources', { csrf: viewerToken, event_type: 'order.paid', mode: 'secret' });
    expect(attempt.text).toContain('lacks the manage scope');
  });

  test('makes a source and shows its URL and secret once; the secret is never on another page', async () => {
    const user = await signedIn(KEYS.CONSOLE_MANAGE_KEY);
    const csrf = tokenOf((await user.get('/console/sources')).text);
    const made = await user.post('/console/sources', { csrf, name: 'Store', event_type: 'order.paid', mode: 'hmac-sha256' });
    expect(made.status).toBe(200);
    const secret = /id="source-secret">([^<]+)</.exec(made.text)?.[1] ?? '';
    const url = /id="source-url">([^<]+)</.exec(made.text)?.[1] ?? '';
    expect(secret).toMatch(/^whsec_/);
    expect(url).toMatch(new RegExp(`^${gateway.url}/v1/sources/src-[0-9a-f]{12}$`));
    const id = url.split('/').at(-1) ?? '';

    const page = await user.get(`/console/sources/${id}`);
    expect(page.text).toContain('secret generated by the gateway');
    expect(page.text).not.toContain(secret);
    expect((await user.get('/console/sources')).text).not.toContain(secret);

    const toggled = await user.post(`/console/sources/${id}/toggle`, { csrf });
    expect(decodeURIComponent(toggled.location)).toContain('Disabled: calls now get 403.');
    const rotated = await user.post(`/console/sources/${id}/rotate`, { csrf });
    const fresh = /id="source-secret">([^<]+)</.exec(rotated.text)?.[1];
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(secret);
    const deleted = await user.post(`/console/sources/${id}/delete`, { csrf, confirm: id });
    expect(decodeURIComponent(deleted.location)).toContain('its URL now answers 404 for good');
  });

  test('shows an event’s every attempt with a link to its workflow, and the catalogue with an example payload', async () => {
    const user = await signedIn(KEYS.CONSOLE_MANAGE_KEY);
    await fetch(`${gateway.url}/v1/endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.CONSOLE_MANAGE_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'orders', url: receiver.url, events: ['order.*'] }),
    });
    // Routing hears of a new endpoint through the change log, a moment after it is made.
    await expect
      .poll(() =>
        gateway.registry
          .routes()
          .route('order.paid')
          .some((endpoint) => endpoint.id === 'orders'),
      )
      .toBe(true);
    receiver.script({ status: 503, body: 'busy <b>now</b>' });
    const sent = await fetch(`${gateway.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.CONSOLE_MANAGE_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'console-order-1', type: 'order.paid', data: { total: 12 } }),
    });
    expect(sent.status).toBe(202);
    await expect.poll(async () => (await user.get('/console/events/console-order-1')).text).toContain('HTTP 503');
    const page = (await user.get('/console/events/console-order-1')).text;
    expect(page).toContain('busy &lt;b&gt;now&lt;/b&gt;');
    expect(page).toContain('/namespaces/default/workflows/event%2Fconsole-order-1');

    // The endpoint's deliveries filter by status; a status the API does not know is refused with its reason.
    expect((await user.get('/console/endpoints/orders?status=failed')).text).toContain('console-order-1');
    expect((await user.get('/console/endpoints/orders?status=succeeded')).text).not.toContain('console-order-1');
    const unknown = (await user.get('/console/endpoints/orders?status=lost')).text;
    expect(unknown).toContain('class="notice refused"');
    expect(unknown).toContain('/status');

    // Recover takes the form's zone-less time as UTC, and sends the failed delivery again.
    const csrf = tokenOf((await user.get('/console/endpoints/orders')).text);
    const since = new Date(Date.now() - 3_600_000).toISOString().slice(0, 16);
    const recovered = await user.post('/console/endpoints/orders/recover', { csrf, since });
    expect(decodeURIComponent(recovered.location)).toContain('1 failed deliveries sent again.');

    const catalogue = (await user.get('/console/event-types')).text;
    expect(catalogue).toContain('a customer paid');
    expect(catalogue).toContain('&quot;total&quot;: 5');
  });

  test('in headless Chromium: signs in, makes a source, and shows its secret once with a copy button', async () => {
    const { text, screenshot } = await inChromium(`${gateway.url}/console/login`, async (page) => {
      await page.waitForText('API key');
      await page.evaluate(
        `document.getElementById('key').value = ${JSON.stringify(KEYS.CONSOLE_MANAGE_KEY)}; document.querySelector('form').submit(); true`,
      );
      await page.waitForText('Inbound sources');
      await page.evaluate(`location.href = '/console/sources'; true`);
      await page.waitForText('New source');
      await page.evaluate(
        `document.getElementById('s-name').value = 'Pager'; document.getElementById('s-type').value = 'order.paid';` +
          `document.querySelector('form[action="/console/sources"]').submit(); true`,
      );
      return { text: await page.waitForText('The secret is shown this once'), screenshot: await page.screenshot() };
    });
    expect(text).toMatch(/whsec_\S+\s+Copy/);
    expect(text).toContain('operator (ingest, manage, read)');
    expect(screenshot.subarray(1, 4).toString()).toBe('PNG');
  });
});
