import { expect, test } from 'vitest';
import { displayHost } from '../../domain/url.js';

test.each([
  ['https://api.example.com/hooks?x=1', 'api.example.com'],
  ['http://127.0.0.1:4000/webhooks', '127.0.0.1:4000'],
  ['https://user:secret@hooks.example.com/x', 'hooks.example.com'],
  ['http://[::1]:8080/', '[::1]:8080'],
])('displayHost(%s) is %s, without credentials', (url, host) => {
  expect(displayHost(url)).toBe(host);
});
