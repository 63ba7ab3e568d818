import { describe, expect, test } from 'vitest';
import { classifyTransportError, describeTransportError } from '../../activities/transport-error.js';

function errorWithCode(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyTransportError', () => {
  test.each([
    [errorWithCode('ECONNREFUSED'), 'connection_refused'],
    [errorWithCode('ECONNRESET'), 'connection_reset'],
    [errorWithCode('UND_ERR_SOCKET'), 'connection_reset'],
    [errorWithCode('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    [errorWithCode('ENOTFOUND'), 'dns'],
    [errorWithCode('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls'],
    [errorWithCode('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
    [errorWithCode('ERR_INVALID_URL'), 'invalid_url'],
    [Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), 'timeout'],
    [new Error('fetch failed', { cause: errorWithCode('ECONNREFUSED') }), 'connection_refused'],
    [new Error('something else'), 'other'],
    ['not even an error', 'other'],
  ])('%s is %s', (error, expected) => {
    expect(classifyTransportError(error)).toBe(expected);
  });
});

describe('describeTransportError', () => {
  test('joins the messages along the cause chain', () => {
    const error = new Error('fetch failed', { cause: errorWithCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9') });
    expect(describeTransportError(error)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:9');
  });
});
