import { TransferRepository } from '@hub/db';
import { ArrivingFeed } from './arriving-feed';

const TIMING = { pollMs: 1, idleMs: 50, maxOpenMs: 1000, recordEveryMs: 0 };
const first = [{ id: '1', sopClassUid: '1.2', sopInstanceUid: '1.2.3', transferSyntaxUid: '1.2.4', storagePath: 'a' }];
const toStored = (instance: (typeof first)[number]) => ({ ...instance, path: instance.storagePath });

/** A feed over a transfer repository with only what the feed calls, failing as each test needs. */
function feedOver(repository: Pick<TransferRepository, 'lookWhileArriving' | 'recordOutcomes'>): ArrivingFeed {
  const transfers = repository as unknown as TransferRepository;
  return new ArrivingFeed(
    transfers,
    { id: 't1', studyId: 's1' },
    first,
    toStored,
    () => Promise.resolve(undefined),
    TIMING,
  );
}

describe('ArrivingFeed', () => {
  it('ends the stream when MySQL fails, and finish() still records the answers', async () => {
    const recordOutcomes = jest.fn().mockResolvedValue(undefined);
    const feed = feedOver({
      lookWhileArriving: jest.fn().mockRejectedValue(new Error('connection lost')),
      recordOutcomes,
    });
    feed.onOutcome({ id: '1', status: 0 });

    await expect(feed.next()).resolves.toEqual([]);
    await feed.finish();
    expect(recordOutcomes).toHaveBeenCalledWith(
      't1',
      [{ instanceId: '1', delivered: true, status: 0, error: null }],
      expect.any(Date),
    );
  });

  it('keeps the answers it could not record for the last try in finish(), which throws if that fails too', async () => {
    const recordOutcomes = jest.fn().mockRejectedValue(new Error('deadlock'));
    const feed = feedOver({ lookWhileArriving: jest.fn(), recordOutcomes });
    feed.onOutcome({ id: '1', status: 0xa700 });

    await expect(feed.next()).resolves.toEqual([]);
    // The answer's own write (due at once with recordEveryMs 0) fails first.
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(feed.finish()).rejects.toThrow('deadlock');
    expect(recordOutcomes).toHaveBeenCalledTimes(2);
    expect(recordOutcomes.mock.calls[1][1]).toEqual([
      { instanceId: '1', delivered: false, status: 0xa700, error: null },
    ]);
  });
});
