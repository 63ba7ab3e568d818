import { describe, expect, test } from 'vitest';
import { EMBEDDED_DYNAMIC_CONFIG } from '../../host/embedded-temporal.js';
import { devServerArgs } from '../../host/dev-server.js';

describe('devServerArgs', () => {
  test('hands the embedded server its dynamic config as JSON values', () => {
    const args = devServerArgs({ port: 7233, dynamicConfig: EMBEDDED_DYNAMIC_CONFIG });
    expect(args).toContain('--dynamic-config-value');
    expect(args[args.indexOf('--dynamic-config-value') + 1]).toBe('system.forceSearchAttributesCacheRefreshOnRead=false');
  });

  test('passes strings quoted and numbers bare, and nothing without a dynamic config', () => {
    const args = devServerArgs({ port: 7233, dynamicConfig: { 'a.name': 'x', 'a.count': 3 } });
    expect(args.filter((_, index) => args[index - 1] === '--dynamic-config-value')).toEqual(['a.name="x"', 'a.count=3']);
    expect(devServerArgs({ port: 7233 })).not.toContain('--dynamic-config-value');
  });
});
