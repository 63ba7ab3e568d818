import { describe, expect, test } from 'vitest';
import { classifyAddress, isDestinationAllowed } from '../../domain/address.js';

describe('classifyAddress', () => {
  test.each([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'link_local'],
    ['0.0.0.0', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'reserved'],
    ['fe80::1%eth0', 'link_local'],
    ['fd12:3456::1', 'private'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a00:1', 'private'],
    ['ff02::1', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  test.each(['example.com', 'localhost', '1.2.3', '256.1.1.1', '1::2::3', '12345::1', ''])('%j is no IP address', (text) => {
    expect(classifyAddress(text)).toBeUndefined();
  });
});

describe('isDestinationAllowed', () => {
  test('always allows public addresses and never reserved ones', () => {
    expect(isDestinationAllowed('public', [])).toBe(true);
    expect(isDestinationAllowed('reserved', ['loopback', 'private', 'link_local'])).toBe(false);
  });

  test('allows loopback, private and link-local only when listed', () => {
    expect(isDestinationAllowed('loopback', [])).toBe(false);
    expect(isDestinationAllowed('loopback', ['loopback'])).toBe(true);
    expect(isDestinationAllowed('private', ['loopback'])).toBe(false);
    expect(isDestinationAllowed('link_local', ['link_local'])).toBe(true);
  });
});
