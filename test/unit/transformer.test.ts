import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { EndpointSchema } from '../../domain/endpoint.js';
import { transformProblem } from '../../domain/transform.js';
import { createTransformer } from '../../transform/index.js';

const event = { id: 'evt_1', type: 'order.created', timestamp: '2026-11-30T12:00:00.000Z', data: { total: 150, items: ['a', 'b'] } };
const transformer = createTransformer({ timeoutMs: 300, maxBodyBytes: 2_048, memoryMb: 32, processes: 2 });
// For the memory limit alone: on a loaded machine, filling 32 MB can take longer than the other tests' 300 ms.
const roomy = createTransformer({ timeoutMs: 10_000, maxBodyBytes: 2_048, memoryMb: 32, processes: 1 });

afterAll(async () => {
  await transformer.close();
  await roomy.close();
});

describe('createTransformer', () => {
  test('makes the body from the event', async () => {
    expect(await transformer.render('{"text": type & " for " & $string(data.total), "count": $count(data.items)}', event)).toEqual({
      body: '{"text":"order.created for 150","count":2}',
    });
  });

  test('reports an expression’s own error with its code and position', async () => {
    expect(await transformer.render('$error("no customer")', event)).toEqual({ error: 'D3137: no customer (at character 7)' });
  });

  test('stops a loop at the time limit with JSONata’s message, and a runaway regular expression from outside', async () => {
    expect(await transformer.render('($loop := function($n) { $loop($n) }; $loop(1))', event)).toEqual({
      error: expect.stringMatching(/^D1012: Evaluation timeout after 300 milliseconds/),
    });
    expect(await transformer.render('$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/)', event)).toEqual({
      error: 'the transform ran longer than 300 ms and was stopped',
    });
    // The stopped process was replaced: the next render works.
    expect(await transformer.render('id', event)).toEqual({ body: '"evt_1"' });
  });

  test('contains an expression that runs out of memory, and one that makes a body over the limit', async () => {
    expect(await roomy.render('$pad("x", 200000000)', event)).toEqual({ error: 'the transform used more than the 32 MB it may' });
    expect(await transformer.render('$join([1..1000].("abc"))', event)).toEqual({
      error: 'the body it made is 3002 bytes, over the limit of 2048',
    });
    expect(await transformer.render('data.total', event)).toEqual({ body: '150' });
  });

  test('refuses a body nested thousands of levels deep, however small, and takes one at the limit', async () => {
    const nested = (levels: number) => `$reduce([1..${levels - 1}], function($body, $n) { {"a": $body} }, {})`;
    expect(await roomy.render(nested(2_000), event)).toEqual({ error: 'the body it made nests deeper than 128 levels' });
    expect(await roomy.render(nested(128), event)).toEqual({ body: `${'{"a":'.repeat(127)}{}${'}'.repeat(127)}` });
  });

  test('refuses an expression that gives nothing to send', async () => {
    expect(await transformer.render('data.missing', event)).toEqual({
      error: 'the expression gave no value for this event (nothing to send)',
    });
  });

  test('runs renders side by side, each getting its own answer', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => transformer.render(`data.total + ${n}`, event)));
    expect(answers).toEqual(Array.from({ length: 20 }, (_, n) => ({ body: String(150 + n) })));
  });

  test('answers renders after close with an error, never hanging', async () => {
    const closing = createTransformer();
    const pending = closing.render('id', event);
    await closing.close();
    expect(await pending).toEqual({ error: 'the gateway is stopping', retryable: true });
    expect(await closing.render('id', event)).toEqual({ error: 'the gateway is stopping', retryable: true });
  });

  test('says a render whose process was killed from outside, or that waited too long for one, may be tried again', async () => {
    // A memory limit of its own, so that its process, and only it, can be found to be killed.
    const single = createTransformer({ timeoutMs: 5_000, maxBodyBytes: 2_048, memoryMb: 33, processes: 1 });
    try {
      expect(await single.render('id', event)).toEqual({ body: '"evt_1"' });
      const looping = single.render('($loop := function($n) { $loop($n) }; $loop(1))', event);
      // The one process is busy: a render that may wait only briefly gives up, and can be tried again.
      expect(await single.render('id', event, 50)).toEqual({ error: 'every transform process was busy for 50 ms', retryable: true });
      const pids = execFileSync('pgrep', ['-f', 'max-old-space-size=33']).toString().trim().split('\n');
      for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
      expect(await looping).toEqual({ error: 'the transform process stopped', retryable: true });
      expect(await single.render('type', event)).toEqual({ body: '"order.created"' });
    } finally {
      await single.close();
    }
  });
});

describe('transform definitions', () => {
  test('are compiled when defined: a syntax error is refused with its position', () => {
    expect(transformProblem('{"a": data.total}')).toBeUndefined();
    expect(transformProblem('{"a": }')).toBe('S0211: The symbol "}" cannot be used as a unary operator (at character 7)');
    const parsed = EndpointSchema.safeParse({ id: 'x', url: 'https://x.example.com', transform: '$uppercase(' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({ path: ['transform'], message: expect.stringMatching(/^not a JSONata expression: S0203/) }),
    ]);
  });

  test('replace the format: an endpoint cannot have both', () => {
    const parsed = EndpointSchema.safeParse({ id: 'x', url: 'https://x.example.com', transform: 'data', format: 'slack' });
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({ path: ['transform'], message: 'a transform makes the whole body: leave out format and data_key' }),
    ]);
  });
});
