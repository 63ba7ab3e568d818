import type { Client } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { GRPC_STATUS } from '../../domain/grpc-status.js';
import { createDeliveryHistory } from '../../gateway/delivery-history.js';
import { InvalidPageTokenError } from '../../errors.js';

// The delivery history's page tokens. Temporal is stood in for by its listing alone, since what is tested is what
// reaches it. SQL visibility answers a token that is not JSON with UNKNOWN (which its clients retry for about twenty
// seconds), Elasticsearch one it cannot read with INVALID_ARGUMENT.

interface Listing {
  readonly asked: (Uint8Array | undefined)[];
  readonly client: Client;
}

/** A listing that hands out `next` as Temporal's page token, and answers a token it cannot read with `refusal`. */
function aListing(refusal: number = GRPC_STATUS.UNKNOWN, next = Buffer.from('{"page":2}')): Listing {
  const asked: (Uint8Array | undefined)[] = [];
  const listWorkflowExecutions = ({ nextPageToken }: { nextPageToken?: Uint8Array }) => {
    asked.push(nextPageToken);
    if (nextPageToken && !Buffer.from(nextPageToken).equals(next)) {
      return Promise.reject(Object.assign(new Error('something went wrong, please retry'), { code: refusal }));
    }
    return Promise.resolve({ executions: [], nextPageToken: nextPageToken ? new Uint8Array() : next });
  };
  const client = { options: { namespace: 'default' }, workflowService: { listWorkflowExecutions } } as unknown as Client;
  return { asked, client };
}

const firstPage = { pageSize: 2 };
const decoded = (token: string): Record<string, string> =>
  JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, string>;
const encoded = (sealed: Record<string, string>): string => Buffer.from(JSON.stringify(sealed)).toString('base64url');
const madeUp = Buffer.from('not a token Temporal can read').toString('base64');

describe('signed page tokens (a key derived from the gateway secret key)', () => {
  test('any process with the same key takes a token another handed out', async () => {
    const listing = aListing();
    const token = (await createDeliveryHistory(listing.client, { pageTokenKey: 'k' }).list('ep', firstPage)).nextPageToken ?? '';
    const page = await createDeliveryHistory(listing.client, { pageTokenKey: 'k' }).list('ep', { ...firstPage, pageToken: token });
    expect(page.nextPageToken).toBeUndefined();
    expect(Buffer.from(listing.asked[1] ?? []).toString()).toBe('{"page":2}');
  });

  test('a token made up around a copied name and signature, or signed with another key, never reaches Temporal', async () => {
    const listing = aListing();
    const history = createDeliveryHistory(listing.client, { pageTokenKey: 'k' });
    const token = (await history.list('ep', firstPage)).nextPageToken ?? '';
    const otherKey = (await createDeliveryHistory(listing.client, { pageTokenKey: 'other' }).list('ep', firstPage)).nextPageToken ?? '';
    const unsigned = (await createDeliveryHistory(listing.client).list('ep', firstPage)).nextPageToken ?? '';
    const forged = encoded({ ...decoded(token), t: madeUp });
    const asked = listing.asked.length;

    for (const pageToken of [forged, otherKey, unsigned, encoded({ ...decoded(token), s: '' }), 'AAAA']) {
      await expect(history.list('ep', { ...firstPage, pageToken })).rejects.toBeInstanceOf(InvalidPageTokenError);
    }
    // Another endpoint's listing (another query) refuses the token too.
    await expect(history.list('other-ep', { ...firstPage, pageToken: token })).rejects.toBeInstanceOf(InvalidPageTokenError);
    expect(listing.asked).toHaveLength(asked);
  });
});

describe('unsigned page tokens (no gateway secret key)', () => {
  test.each([
    ['SQL visibility', GRPC_STATUS.UNKNOWN],
    ['Elasticsearch', GRPC_STATUS.INVALID_ARGUMENT],
  ])('a token altered past its name reaches Temporal, and %s refusing it is a refused token, not a 500', async (_store, refusal) => {
    const listing = aListing(refusal);
    const history = createDeliveryHistory(listing.client);
    const token = (await history.list('ep', firstPage)).nextPageToken ?? '';
    expect((await history.list('ep', { ...firstPage, pageToken: token })).entries).toEqual([]);

    await expect(history.list('ep', { ...firstPage, pageToken: encoded({ ...decoded(token), t: madeUp }) })).rejects.toBeInstanceOf(
      InvalidPageTokenError,
    );
    expect(Buffer.from(listing.asked.at(-1) ?? []).toString()).toBe('not a token Temporal can read');
  });

  test('UNKNOWN on a first page, with no token to blame, stays Temporal’s failure', async () => {
    const failing = {
      options: { namespace: 'default' },
      workflowService: {
        listWorkflowExecutions: () => Promise.reject(Object.assign(new Error('something went wrong'), { code: GRPC_STATUS.UNKNOWN })),
      },
    } as unknown as Client;
    await expect(createDeliveryHistory(failing).list('ep', firstPage)).rejects.not.toBeInstanceOf(InvalidPageTokenError);
    await expect(createDeliveryHistory(failing).list('ep', firstPage)).rejects.toThrow('something went wrong');
  });
});
