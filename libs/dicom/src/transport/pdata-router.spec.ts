import { requests } from './dcmjs-bridge';
import { encodeCStoreRequestPdu } from '../codec/dimse-encoding';
import { PDataHandlers, PDataRouter } from './pdata-router';

/** One PDV item: length, presentation context, control header (command 1, last 2), value. */
function pdv(pcId: number, value: Buffer, flags: { command: boolean; last: boolean }): Buffer {
  const item = Buffer.alloc(6);
  item.writeUInt32BE(2 + value.length, 0);
  item.writeUInt8(pcId, 4);
  item.writeUInt8((flags.command ? 1 : 0) | (flags.last ? 2 : 0), 5);
  return Buffer.concat([item, value]);
}

function pData(...items: Buffer[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt8(0x04, 0);
  header.writeUInt32BE(
    items.reduce((sum, item) => sum + item.length, 0),
    2,
  );
  return Buffer.concat([header, ...items]);
}

const storeCommand = (messageId: number) =>
  encodeCStoreRequestPdu({
    presentationContextId: 1,
    messageId,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    sopInstanceUid: `1.2.3.${messageId}`,
  }).subarray(12);

function commandOf(request: object): Buffer {
  return (request as { getCommandDataset(): { getDenaturalizedCommandDataset(): Buffer } })
    .getCommandDataset()
    .getDenaturalizedCommandDataset();
}

function echoCommand(): Buffer {
  const echo = new requests.CEchoRequest();
  echo.setMessageId(2);
  return commandOf(echo);
}

function findCommand(): Buffer {
  const find = requests.CFindRequest.createStudyFindRequest({ PatientID: 'X' });
  find.setMessageId(3);
  return commandOf(find);
}

function routerWithLog() {
  const log: string[] = [];
  const library: Buffer[] = [];
  const data: Buffer[] = [];
  const handlers: PDataHandlers = {
    storeCommand: (pcId, command) => log.push(`store ${pcId} ${command.messageId} ${command.sopInstanceUid}`),
    storeData: (value, last) => {
      data.push(value);
      log.push(`data ${value.length}${last ? ' last' : ''}`);
    },
    library: (pdu) => {
      library.push(pdu);
      log.push(`library ${pdu.length}`);
    },
    violation: (problem) => log.push(`violation ${problem}`),
  };
  return { router: new PDataRouter(handlers), log, library, data };
}

describe('PDataRouter', () => {
  it('takes a C-STORE: command, then data set fragments over several PDUs, as views of them', () => {
    const { router, log, data } = routerWithLog();
    const second = pData(pdv(1, Buffer.alloc(50, 2), { command: false, last: false }));
    expect(router.push(pData(pdv(1, storeCommand(7), { command: true, last: true })))).toBe(true);
    router.push(second);
    router.push(pData(pdv(1, Buffer.alloc(20, 3), { command: false, last: true })));
    expect(log).toEqual(['store 1 7 1.2.3.7', 'data 50', 'data 20 last']);
    expect(data[0].buffer).toBe(second.buffer);
  });

  it('passes a data set fragment that came in pieces on as the pieces, without joining them', () => {
    const { router, log, data } = routerWithLog();
    router.push(pData(pdv(1, storeCommand(8), { command: true, last: true })));
    const middle = pData(pdv(1, Buffer.alloc(100, 4), { command: false, last: false }));
    const end = pData(pdv(1, Buffer.alloc(30, 5), { command: false, last: true }));
    // Cut as socket reads cut them: the PDV header whole in the first piece, or not.
    expect(router.push([middle.subarray(0, 40), middle.subarray(40, 90), middle.subarray(90)])).toBe(true);
    expect(router.push([end.subarray(0, 12), end.subarray(12)])).toBe(true);
    expect(log).toEqual(['store 1 8 1.2.3.8', 'data 28', 'data 50', 'data 22', 'data 30 last']);
    expect(data[1].buffer).toBe(middle.buffer);
    expect(Buffer.concat(data).equals(Buffer.concat([Buffer.alloc(100, 4), Buffer.alloc(30, 5)]))).toBe(true);
  });

  it('joins pieces it does not stream (a PDV header split, several PDVs, no C-STORE) and routes them as a PDU', () => {
    const { router, log } = routerWithLog();
    router.push(pData(pdv(1, storeCommand(9), { command: true, last: true })));
    const split = pData(pdv(1, Buffer.alloc(10, 6), { command: false, last: false }));
    router.push([split.subarray(0, 8), split.subarray(8)]);
    const two = pData(
      pdv(1, Buffer.alloc(5, 7), { command: false, last: false }),
      pdv(1, Buffer.alloc(5, 8), { command: false, last: true }),
    );
    router.push([two.subarray(0, 14), two.subarray(14)]);
    const echo = pData(pdv(3, echoCommand(), { command: true, last: true }));
    router.push([echo.subarray(0, 20), echo.subarray(20)]);
    expect(log).toEqual(['store 1 9 1.2.3.9', 'data 10', 'data 5', 'data 5 last', `library ${echo.length}`]);
  });

  it('aborts on a data set in pieces that continues on another presentation context', () => {
    const { router, log } = routerWithLog();
    router.push(pData(pdv(1, storeCommand(10), { command: true, last: true })));
    const stray = pData(pdv(3, Buffer.alloc(40, 1), { command: false, last: true }));
    expect(router.push([stray.subarray(0, 20), stray.subarray(20)])).toBe(false);
    expect(log.at(-1)).toBe('violation a C-STORE data set continued on presentation context 3');
  });

  it('takes a command and its data set in one PDU, and C-STOREs one after another', () => {
    const { router, log } = routerWithLog();
    router.push(
      pData(
        pdv(3, storeCommand(1), { command: true, last: true }),
        pdv(3, Buffer.alloc(10), { command: false, last: false }),
        pdv(3, Buffer.alloc(5), { command: false, last: true }),
      ),
    );
    router.push(pData(pdv(3, storeCommand(2), { command: true, last: true })));
    router.push(pData(pdv(3, Buffer.alloc(4), { command: false, last: true })));
    expect(log).toEqual(['store 3 1 1.2.3.1', 'data 10', 'data 5 last', 'store 3 2 1.2.3.2', 'data 4 last']);
  });

  it('puts a C-STORE command split over PDUs back together', () => {
    const { router, log } = routerWithLog();
    const command = storeCommand(5);
    router.push(pData(pdv(1, command.subarray(0, 30), { command: true, last: false })));
    router.push(pData(pdv(1, command.subarray(30), { command: true, last: true })));
    router.push(pData(pdv(1, Buffer.alloc(8), { command: false, last: true })));
    expect(log).toEqual(['store 1 5 1.2.3.5', 'data 8 last']);
  });

  it('hands other messages to the library as the PDUs that carried them, then takes C-STOREs again', () => {
    const { router, log, library } = routerWithLog();
    const echo = pData(pdv(1, echoCommand(), { command: true, last: true }));
    router.push(echo);
    const find = pData(pdv(5, findCommand(), { command: true, last: true }));
    const identifier = pData(pdv(5, Buffer.alloc(30), { command: false, last: true }));
    router.push(find);
    router.push(identifier);
    router.push(pData(pdv(1, storeCommand(9), { command: true, last: true })));
    expect(library).toEqual([echo, find, identifier]);
    expect(log.slice(3)).toEqual(['store 1 9 1.2.3.9']);
  });

  it("shows a C-FIND identifier's raw fragments before the library gets their PDUs", () => {
    const seen: string[] = [];
    const router = new PDataRouter({
      storeCommand: () => seen.push('store'),
      storeData: () => seen.push('store data'),
      library: (pdu) => seen.push(`library ${pdu.length}`),
      libraryData: (value, last) => seen.push(`identifier ${value.toString('latin1')}${last ? ' last' : ''}`),
      violation: (problem) => seen.push(`violation ${problem}`),
    });
    const find = pData(pdv(5, findCommand(), { command: true, last: true }));
    const first = pData(pdv(5, Buffer.from('M\xdcL', 'latin1'), { command: false, last: false }));
    const second = pData(pdv(5, Buffer.from('LER*', 'latin1'), { command: false, last: true }));
    [find, first, second].forEach((pdu) => router.push(pdu));
    expect(seen).toEqual([
      `library ${find.length}`,
      'identifier M\xdcL',
      `library ${first.length}`,
      'identifier LER* last',
      `library ${second.length}`,
    ]);
  });

  it('hands a split command of another message to the library once it is whole, fragments in order', () => {
    const { router, library } = routerWithLog();
    const command = findCommand();
    router.push(pData(pdv(5, command.subarray(0, 20), { command: true, last: false })));
    expect(library).toEqual([]);
    router.push(pData(pdv(5, command.subarray(20), { command: true, last: true })));
    expect(library).toEqual([
      pData(
        pdv(5, command.subarray(0, 20), { command: true, last: false }),
        pdv(5, command.subarray(20), { command: true, last: true }),
      ),
    ]);
  });

  it('splits a PDU that carries the end of another message and a C-STORE', () => {
    const { router, log, library } = routerWithLog();
    const echoItem = pdv(1, echoCommand(), { command: true, last: true });
    router.push(
      pData(
        echoItem,
        pdv(1, storeCommand(4), { command: true, last: true }),
        pdv(1, Buffer.alloc(3), { command: false, last: true }),
      ),
    );
    expect(library).toEqual([pData(echoItem)]);
    expect(log).toEqual([`library ${6 + echoItem.length}`, 'store 1 4 1.2.3.4', 'data 3 last']);
  });

  it('leaves what it cannot follow to the library from then on (a data set with no command)', () => {
    const { router, log, library } = routerWithLog();
    const stray = pData(pdv(1, Buffer.alloc(4), { command: false, last: true }));
    const next = pData(pdv(1, storeCommand(1), { command: true, last: true }));
    router.push(stray);
    router.push(next);
    expect(library).toEqual([stray, next]);
    expect(log.some((line) => line.startsWith('store'))).toBe(false);
  });

  it.each([
    ['a command inside a data set', pdv(1, storeCommand(2), { command: true, last: true })],
    ['a data set continued on another context', pdv(3, Buffer.alloc(4), { command: false, last: true })],
  ])('aborts on %s', (_, item) => {
    const { router, log } = routerWithLog();
    router.push(pData(pdv(1, storeCommand(1), { command: true, last: true })));
    router.push(pData(pdv(1, Buffer.alloc(4), { command: false, last: false })));
    expect(router.push(pData(item))).toBe(false);
    expect(log[log.length - 1]).toMatch(/^violation /);
  });

  it('aborts on a malformed PDU inside a C-STORE', () => {
    const { router, log } = routerWithLog();
    router.push(pData(pdv(1, storeCommand(1), { command: true, last: true })));
    const malformed = pData(pdv(1, Buffer.alloc(4), { command: false, last: true }));
    malformed.writeUInt32BE(1000, 6);
    expect(router.push(malformed)).toBe(false);
    expect(log).toEqual(['store 1 1 1.2.3.1', 'violation malformed P-DATA-TF PDU inside a C-STORE']);
  });

  it('aborts on a command set too long to be one', () => {
    const { router, log } = routerWithLog();
    let ok = true;
    for (let i = 0; i < 5 && ok; i++) {
      ok = router.push(pData(pdv(1, Buffer.alloc(16 * 1024), { command: true, last: false })));
    }
    expect(ok).toBe(false);
    expect(log).toEqual(['violation a command set longer than 65536 bytes']);
  });
});
