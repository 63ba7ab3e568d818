import { describe, expect, it } from 'vitest';
import { ownerOf, summarizeProfile } from '../../bench/profile.js';

describe('the benchmark profile summary', () => {
  it('names a frame by its npm package, scoped or not, by Node module, by project file, or by native name', () => {
    const frame = (url: string, functionName = 'f') => ({ url, functionName });
    expect(ownerOf(frame('file:///work/main/node_modules/@opentelemetry/sdk-trace-base/build/src/Span.js'))).toBe(
      '@opentelemetry/sdk-trace-base',
    );
    expect(ownerOf(frame('file:///work/main/node_modules/.pnpm/x/node_modules/rxjs/dist/cjs/index.js'))).toBe('rxjs');
    expect(ownerOf(frame('node:internal/async_hooks'))).toBe('node:internal/async_hooks');
    expect(ownerOf(frame('file:///work/main/activities/deliver.ts'))).toBe('activities/deliver.ts');
    expect(ownerOf(frame('', 'runInContext'))).toBe('runInContext');
    expect(ownerOf(frame('', ''))).toBe('(anonymous native)');
  });

  it('sums each sample’s time under its frame’s owner and leaves idle out of busy', () => {
    const summary = summarizeProfile({
      nodes: [
        { id: 1, callFrame: { functionName: '(idle)', url: '' } },
        { id: 2, callFrame: { functionName: 'runInContext', url: '' } },
        { id: 3, callFrame: { functionName: 'export', url: 'file:///p/node_modules/@opentelemetry/core/x.js' } },
        { id: 4, callFrame: { functionName: 'other', url: 'file:///p/node_modules/@opentelemetry/core/y.js' } },
      ],
      samples: [1, 2, 3, 4, 2, 1],
      timeDeltas: [5_000, 1_000, 2_000, 3_000, 1_000, 7_000],
    });
    expect(summary.busyMs).toBe(7);
    expect(Object.fromEntries(summary.byOwner)).toEqual({ runInContext: 2, '@opentelemetry/core': 5 });
  });
});
