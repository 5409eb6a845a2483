import { networkFailure } from './scu-association';

const PEER = 'RA7_PACS@10.1.2.3:104';
const TIMEOUTS = { connectMs: 10000, associationMs: 30000, pduMs: 60000 };

/** dcmjs-dimse's network errors, as it words them, and what the transfer's last error says instead. */
describe("the SCU's network failures in words, each named as what it is, with the peer", () => {
  it.each([
    [
      ' -> Connection error: connect ECONNREFUSED 10.1.2.3:104',
      'refused',
      `${PEER}: connection refused (nothing listening)`,
    ],
    [' -> Connection error: connect EHOSTUNREACH 10.1.2.3:104', 'refused', `${PEER}: cannot connect (EHOSTUNREACH)`],
    [' -> Connection error: getaddrinfo ENOTFOUND pacs.invalid', 'refused', `${PEER}: cannot connect (ENOTFOUND)`],
    [' -> Connection timeout', 'timeout', `${PEER}: timeout (no answer within 10 s)`],
    [
      'Connection timeout: RA7_PACS -> Exceeded association timeout (30000), closing connection...',
      'timeout',
      `${PEER}: timeout (no association answer within 30 s)`,
    ],
    [
      'Connection timeout: RA7_PACS -> Exceeded PDU timeout (60000), closing connection...',
      'timeout',
      `${PEER}: timeout (no PDU within 60 s)`,
    ],
    [
      'RA7_PACS -> Connection error: read ECONNRESET',
      'network',
      `${PEER}: connection dropped by the peer (read ECONNRESET)`,
    ],
    [' -> Connection error: something else', 'network', `${PEER}: Connection error: something else`],
    // The library's lines name the peer as the SCU labels it: named once, not twice.
    [`${PEER} -> Connection error: something else`, 'network', `${PEER}: Connection error: something else`],
  ])('%s', (libraryMessage, kind, message) => {
    expect(networkFailure(PEER, libraryMessage, TIMEOUTS)).toEqual({ kind, message });
  });
});
