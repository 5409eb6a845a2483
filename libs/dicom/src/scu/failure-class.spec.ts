import { DimseStatus } from '../codec/dimse-status';
import { classifyAssociationFailure, classifySend, classifyStatus } from './failure-class';
import { AssociationFailure } from './scu-association';

const failures: Array<[AssociationFailure, 'permanent' | 'transient']> = [
  [{ kind: 'rejected', permanent: true, source: 1, reason: 7, message: 'rejected permanent' }, 'permanent'],
  [{ kind: 'rejected', permanent: false, source: 3, reason: 2, message: 'rejected transient' }, 'transient'],
  [{ kind: 'aborted', source: 2, reason: 0, message: 'aborted' }, 'transient'],
  [{ kind: 'refused', message: 'connection refused' }, 'transient'],
  [{ kind: 'timeout', message: 'timeout' }, 'transient'],
  [{ kind: 'network', message: 'dropped' }, 'transient'],
];

describe('failure classifier', () => {
  it.each(failures)('an association that failed as %o is %s', (failure, expected) => {
    expect(classifyAssociationFailure(failure)).toBe(expected);
  });

  it.each([
    [DimseStatus.Success, undefined],
    [0xb000, undefined],
    [0xb007, undefined],
    [DimseStatus.OutOfResources, 'transient'],
    [0xa7ff, 'transient'],
    [DimseStatus.SopClassNotSupported, 'permanent'],
    [DimseStatus.DataSetDoesNotMatchSopClass, 'permanent'],
    [DimseStatus.CannotUnderstand, 'permanent'],
    [DimseStatus.ProcessingFailure, 'permanent'],
  ])('status 0x%s is %s', (status, expected) => {
    expect(classifyStatus(status)).toBe(expected);
  });

  it('classifies a send by its association first, then by an instance refused only for now', () => {
    const rejected = failures[0][0];
    const refusedForNow = [{ id: 'a', status: 0xa700, error: 'out of resources' }];
    expect(classifySend(rejected, refusedForNow)).toBe('permanent');
    expect(classifySend(failures[4][0], [])).toBe('transient');
    expect(classifySend(undefined, refusedForNow)).toBe('transient');
    expect(classifySend(undefined, [{ id: 'a', status: 0x0122, error: 'not supported' }])).toBeUndefined();
    // An instance left unanswered (no status) goes in the next association; it is no failure of the send.
    expect(classifySend(undefined, [{ id: 'a', error: 'not answered' }])).toBeUndefined();
  });
});
