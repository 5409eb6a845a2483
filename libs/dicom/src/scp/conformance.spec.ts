import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TransferSyntax } from '../codec/transfer-syntax';
import { QueryRetrieveSopClass, chooseQueryTransferSyntax, isQueryRetrieveSopClass } from './query-retrieve';
import { VERIFICATION_SOP_CLASS, chooseTransferSyntax, isStorageSopClass } from './transfer-syntax-choice';

/** The conformance statement's tables, as `| name | UID | …` rows: UID → the row's cells. */
function statementRows(): Map<string, string[]> {
  const text = readFileSync(path.join(__dirname, '../../../../docs/conformance.md'), 'utf8');
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const uid = cells.find((cell) => /^`[\d.]+(\.\*)?`$/.test(cell));
    if (uid) {
      rows.set(uid.slice(1, -1), cells);
    }
  }
  return rows;
}

// A candidate list wider than what the hub accepts: every syntax it names, and some it does not take.
const CANDIDATE_SYNTAXES = [
  ...Object.values(TransferSyntax),
  '1.2.840.10008.1.2.4.100', // MPEG2
  '1.2.840.10008.1.2.4.201', // HTJ2K
  '1.2.840.10008.1.2.4.95', // JPIP Referenced Deflate
];

describe('the conformance statement (docs/conformance.md) says what the receiver accepts', () => {
  const rows = statementRows();

  it('lists every transfer syntax the receiver accepts for storage, and says which it accepts for Q/R', () => {
    const forStorage = CANDIDATE_SYNTAXES.filter((uid) => chooseTransferSyntax([uid]) === uid);
    expect(forStorage.length).toBeGreaterThan(10);
    for (const uid of forStorage) {
      expect({ uid, row: rows.get(uid)?.[3] }).toEqual({ uid, row: 'yes' });
    }
    for (const uid of CANDIDATE_SYNTAXES) {
      const acceptsQuery = chooseQueryTransferSyntax([uid]) === uid;
      if (rows.has(uid)) {
        expect({ uid, q: rows.get(uid)![4].startsWith('yes') }).toEqual({ uid, q: acceptsQuery });
      } else {
        // Not in the statement: then the receiver must not accept it at all.
        expect({ uid, storage: chooseTransferSyntax([uid]), query: acceptsQuery }).toEqual({
          uid,
          storage: undefined,
          query: false,
        });
      }
    }
  });

  it('names no syntax as accepted that the receiver refuses', () => {
    for (const [uid, cells] of rows) {
      if (cells[3] === 'yes') {
        expect({ uid, chosen: chooseTransferSyntax([uid]) }).toEqual({ uid, chosen: uid });
      }
    }
  });

  it('lists Verification, the Storage arc and every Query/Retrieve model the receiver serves', () => {
    expect(rows.has(VERIFICATION_SOP_CLASS)).toBe(true);
    expect(rows.has('1.2.840.10008.5.1.4.1.1.*')).toBe(true);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.2')).toBe(true);
    for (const uid of Object.values(QueryRetrieveSopClass)) {
      expect(isQueryRetrieveSopClass(uid)).toBe(true);
      expect({ uid, listed: rows.has(uid) }).toEqual({ uid, listed: true });
    }
  });
});
