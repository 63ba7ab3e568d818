import type { FastifyRequest } from 'fastify';
import { describe, expect, test } from 'vitest';
import { html, raw } from '../../server/console/html.js';
import { examplePayload } from '../../server/console/pages/event-types.js';
import { createSessionKeeper, isGenuineChange } from '../../server/console/session.js';
import { createKeyring } from '../../server/auth.js';

describe('console markup', () => {
  test('escapes every value, keeps markup made by html, joins lists, and drops empty values', () => {
    const name = '<script>alert("x")</script> & co';
    const markup = html`<p title="${name}">${name}${html`<b>${'b&b'}</b>`}${['<i>', html`<i>ok</i>`]}${undefined}${null}${false}${0}</p>`;
    expect(markup.text).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co<b>b&amp;b</b>&lt;i&gt;<i>ok</i>0</p>',
    );
    expect(html`${raw('<br />')}${{ a: '<' }}`.text).toBe('<br />{&quot;a&quot;:&quot;&lt;&quot;}');
  });
});

describe('the catalogue’s example payloads', () => {
  test('take the schema’s own examples, defaults and enums, and a plain value of each type otherwise', () => {
    const schema = {
      type: 'object',
      properties: {
        id: { type: 'string', examples: ['ord_1'] },
        total: { type: 'number', minimum: 5 },
        currency: { enum: ['EUR', 'USD'] },
        paid_at: { type: 'string', format: 'date-time' },
        items: {
          type: 'array',
          items: { type: 'object', properties: { sku: { type: 'string' }, gift: { type: 'boolean', default: false } } },
        },
      },
    };
    expect(examplePayload(schema)).toEqual({
      id: 'ord_1',
      total: 5,
      currency: 'EUR',
      paid_at: '2026-01-15T10:30:00Z',
      items: [{ sku: 'text', gift: false }],
    });
  });
});

describe('console changes', () => {
  const keeper = createSessionKeeper(
    createKeyring([{ id: 'ops', key_env: 'K', scopes: ['manage'] }], { K: 'console-unit-key-0123456789' }),
  );
  const request = (headers: Record<string, string>) => ({ host: 'gw.example:3000', headers }) as unknown as FastifyRequest;
  const session = keeper.open(request({ cookie: `other=1; webhooks_console=${encodeURIComponent('console-unit-key-0123456789')}` }));

  test('a session opens from the key in its cookie, and not from a wrong one', () => {
    expect(session?.principal.keyId).toBe('ops');
    expect(keeper.open(request({ cookie: 'webhooks_console=wrong-key-0123456789' }))).toBeUndefined();
    expect(keeper.open(request({}))).toBeUndefined();
  });

  test('need the session’s token, and an Origin, if any, of this host', () => {
    if (!session) throw new Error('no session');
    expect(isGenuineChange(request({}), session, session.csrf)).toBe(true);
    expect(isGenuineChange(request({ origin: 'http://gw.example:3000' }), session, session.csrf)).toBe(true);
    expect(isGenuineChange(request({ origin: 'https://evil.example' }), session, session.csrf)).toBe(false);
    expect(isGenuineChange(request({ origin: 'null' }), session, session.csrf)).toBe(false);
    expect(isGenuineChange(request({}), session, undefined)).toBe(false);
    expect(isGenuineChange(request({}), session, `${session.csrf}x`)).toBe(false);
  });
});
