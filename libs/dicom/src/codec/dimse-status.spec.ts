import { describeAbort, describeRejection, describeStatus, statusName } from './dimse-status';

describe('DIMSE statuses and association failures in words', () => {
  it('names a status by code or by its range, in hex, with the peer comment', () => {
    expect(describeStatus(0xa700)).toBe('0xA700 Refused: Out of Resources');
    expect(describeStatus(0xa7ff, ' disk full ')).toBe('0xA7FF Refused: Out of Resources: disk full');
    expect(describeStatus(0xc123, 'cannot parse')).toBe('0xC123 Error: Cannot Understand: cannot parse');
    expect(describeStatus(0x0122)).toBe('0x0122 SOP Class Not Supported');
    expect(statusName(0xa901)).toBe('Error: Data Set Does Not Match SOP Class');
    expect(statusName(0x0123)).toBe('Failure');
  });

  it('says who rejected or aborted an association and why (PS3.8 9.3.4, 9.3.8)', () => {
    expect(describeRejection(1, 1, 7)).toBe('rejected permanent by the service user: called AE title not recognized');
    expect(describeRejection(2, 3, 2)).toBe(
      'rejected transient by the service provider (presentation): local limit exceeded',
    );
    expect(describeRejection(1, 2, 2)).toBe(
      'rejected permanent by the service provider (ACSE): protocol version not supported',
    );
    expect(describeAbort(0, 0)).toBe('aborted by the peer (service user)');
    expect(describeAbort(2, 6)).toBe('aborted by the service provider: invalid PDU parameter value');
  });
});
