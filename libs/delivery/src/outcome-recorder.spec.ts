import { OutcomeRecorder } from './outcome-recorder';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OutcomeRecorder', () => {
  it('commits the answers that came within one interval together, while the association still runs', async () => {
    const recordOutcomes = jest.fn().mockResolvedValue(undefined);
    const recorder = new OutcomeRecorder({ recordOutcomes }, 't1', 30);
    recorder.onOutcome({ id: '1', status: 0 });
    recorder.onOutcome({ id: '2', status: 0xa700, error: '0xA700 Refused: Out of Resources' });
    expect(recordOutcomes).not.toHaveBeenCalled();
    await sleep(80);
    expect(recordOutcomes).toHaveBeenCalledTimes(1);
    expect(recordOutcomes.mock.calls[0][1]).toEqual([
      { instanceId: '1', delivered: true, status: 0, error: null },
      { instanceId: '2', delivered: false, status: 0xa700, error: '0xA700 Refused: Out of Resources' },
    ]);
    recorder.onOutcome({ id: '3', status: 0 });
    await recorder.finish();
    expect(recordOutcomes).toHaveBeenCalledTimes(2);
    expect(recordOutcomes.mock.calls[1][1]).toEqual([{ instanceId: '3', delivered: true, status: 0, error: null }]);
  });

  it('commits at once past 200 answers, whatever the interval', async () => {
    const recordOutcomes = jest.fn().mockResolvedValue(undefined);
    const recorder = new OutcomeRecorder({ recordOutcomes }, 't1', 60_000);
    for (let id = 1; id <= 200; id += 1) {
      recorder.onOutcome({ id: String(id), status: 0 });
    }
    await sleep(20);
    expect(recordOutcomes).toHaveBeenCalledTimes(1);
    expect(recordOutcomes.mock.calls[0][1]).toHaveLength(200);
    await recorder.finish();
    expect(recordOutcomes).toHaveBeenCalledTimes(1);
  });

  it('keeps answers a failed write could not record for the next, and finish() throws if the last try fails', async () => {
    const recordOutcomes = jest.fn().mockRejectedValue(new Error('MySQL gone'));
    const recorder = new OutcomeRecorder({ recordOutcomes }, 't1', 5);
    recorder.onOutcome({ id: '1', status: 0 });
    await sleep(30);
    recorder.onOutcome({ id: '2', status: 0 });
    await expect(recorder.finish()).rejects.toThrow('MySQL gone');
    expect(recordOutcomes.mock.calls.at(-1)?.[1].map((row: { instanceId: string }) => row.instanceId)).toEqual([
      '1',
      '2',
    ]);
  });
});
