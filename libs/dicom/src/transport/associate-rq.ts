import { UID_MAX_LENGTH } from '../codec/uid';

/** Why an A-ASSOCIATE-RQ is refused before anything reads it (PS3.8 9.3.4, source "service-provider (ACSE)"). */
export enum AssociateRqProblem {
  NoReasonGiven = 1,
  ProtocolVersionNotSupported = 2,
}

export type AssociateRqCheck = { ok: true } | { ok: false; reason: AssociateRqProblem; problem: string };

const PDU_HEADER = 6;
/** Protocol version (2), reserved (2), called AE (16), calling AE (16), reserved (32). */
const FIXED_FIELDS = 68;
const ITEM_HEADER = 4;
const APPLICATION_CONTEXT = 0x10;
const PRESENTATION_CONTEXT = 0x20;
const ABSTRACT_SYNTAX = 0x30;
const TRANSFER_SYNTAX = 0x40;
const USER_INFORMATION = 0x50;
const MAX_LENGTH = 0x51;
const IMPLEMENTATION_CLASS_UID = 0x52;
const ASYNC_OPERATIONS = 0x53;
const ROLE_SELECTION = 0x54;
const IMPLEMENTATION_VERSION = 0x55;
const EXTENDED_NEGOTIATION = 0x56;
const COMMON_EXTENDED_NEGOTIATION = 0x57;
const USER_IDENTITY = 0x58;
/** Odd ids 1..255 give at most 128 contexts. */
const MAX_CONTEXTS = 128;
/** A context proposing more transfer syntaxes than this is not a real PACS. */
const MAX_TRANSFER_SYNTAXES = 64;

class Invalid extends Error {
  constructor(
    message: string,
    readonly reason = AssociateRqProblem.NoReasonGiven,
  ) {
    super(message);
  }
}

interface Item {
  type: number;
  body: Buffer;
  offset: number;
}

/** The items laid end to end in `region`; each must fit inside it exactly. */
function itemsOf(region: Buffer, base: number, where: string): Item[] {
  const items: Item[] = [];
  let position = 0;
  while (position < region.length) {
    if (position + ITEM_HEADER > region.length) {
      throw new Invalid(`${where}: ${region.length - position} stray byte(s) at offset ${base + position}`);
    }
    const type = region[position];
    const length = region.readUInt16BE(position + 2);
    const end = position + ITEM_HEADER + length;
    if (end > region.length) {
      throw new Invalid(
        `${where}: item 0x${hex(type)} at offset ${base + position} declares ${length} bytes, ${region.length - position - ITEM_HEADER} remain`,
      );
    }
    items.push({ type, body: region.subarray(position + ITEM_HEADER, end), offset: base + position });
    position = end;
  }
  return items;
}

function hex(value: number): string {
  return value.toString(16).padStart(2, '0').toUpperCase();
}

function checkUid(body: Buffer, what: string): void {
  // A UID may be padded with one trailing NUL (or, from some implementations, a space).
  const text = body.toString('latin1').replace(/[\0 ]$/, '');
  if (text.length === 0 || text.length > UID_MAX_LENGTH) {
    throw new Invalid(`${what}: a UID of ${text.length} characters (1 to ${UID_MAX_LENGTH} allowed)`);
  }
  if (!/^[0-9.]+$/.test(text)) {
    throw new Invalid(`${what}: a UID with characters other than digits and dots`);
  }
}

function checkAeField(field: Buffer, what: string): void {
  for (const byte of field) {
    if (byte < 0x20 || byte > 0x7e || byte === 0x5c) {
      throw new Invalid(`${what} AE title holds byte 0x${hex(byte)}`);
    }
  }
  if (field.toString('latin1').trim() === '') {
    throw new Invalid(`${what} AE title is empty`);
  }
}

function checkPresentationContext(context: Item, seen: Set<number>): void {
  const where = `presentation context at offset ${context.offset}`;
  if (context.body.length < 4) {
    throw new Invalid(`${where}: ${context.body.length} bytes, too short for its id`);
  }
  const id = context.body[0];
  if (id % 2 === 0) {
    throw new Invalid(`${where}: presentation context id ${id} is even (odd 1 to 255 allowed)`);
  }
  if (seen.has(id)) {
    throw new Invalid(`${where}: presentation context id ${id} is proposed twice`);
  }
  seen.add(id);
  let abstractSyntaxes = 0;
  let transferSyntaxes = 0;
  for (const sub of itemsOf(context.body.subarray(4), context.offset + ITEM_HEADER + 4, where)) {
    if (sub.type === ABSTRACT_SYNTAX) {
      abstractSyntaxes += 1;
      checkUid(sub.body, `presentation context ${id} abstract syntax`);
    } else if (sub.type === TRANSFER_SYNTAX) {
      transferSyntaxes += 1;
      checkUid(sub.body, `presentation context ${id} transfer syntax`);
    } else {
      throw new Invalid(`presentation context ${id}: unexpected sub-item 0x${hex(sub.type)}`);
    }
  }
  if (abstractSyntaxes !== 1) {
    throw new Invalid(`presentation context ${id}: ${abstractSyntaxes} abstract syntaxes (exactly 1 allowed)`);
  }
  if (transferSyntaxes === 0 || transferSyntaxes > MAX_TRANSFER_SYNTAXES) {
    throw new Invalid(
      `presentation context ${id}: ${transferSyntaxes} transfer syntaxes (1 to ${MAX_TRANSFER_SYNTAXES} allowed)`,
    );
  }
}

/** `fields` 2-byte-length-prefixed fields from `start`, which must lie inside the sub-item (role selection, user identity…). */
function checkLengthPrefixed(body: Buffer, start: number, fields: number, what: string): void {
  let position = start;
  for (let field = 1; field <= fields; field += 1) {
    if (position + 2 > body.length) {
      throw new Invalid(`${what}: field ${field} missing`);
    }
    position += 2 + body.readUInt16BE(position);
    if (position > body.length) {
      throw new Invalid(`${what}: field ${field} runs past the sub-item`);
    }
  }
}

function checkUserInformation(userInformation: Item): void {
  const where = 'user information';
  let maxLength = 0;
  for (const sub of itemsOf(userInformation.body, userInformation.offset + ITEM_HEADER, where)) {
    switch (sub.type) {
      case MAX_LENGTH:
        if (sub.body.length !== 4) {
          throw new Invalid(`${where}: maximum length sub-item of ${sub.body.length} bytes (4 expected)`);
        }
        maxLength += 1;
        break;
      case IMPLEMENTATION_CLASS_UID:
        checkUid(sub.body, `${where}: implementation class UID`);
        break;
      case IMPLEMENTATION_VERSION:
        if (sub.body.length > 16) {
          throw new Invalid(`${where}: implementation version name of ${sub.body.length} bytes (16 allowed)`);
        }
        break;
      case ASYNC_OPERATIONS:
        if (sub.body.length !== 4) {
          throw new Invalid(`${where}: asynchronous operations sub-item of ${sub.body.length} bytes (4 expected)`);
        }
        break;
      case ROLE_SELECTION:
        // UID length, UID, SCU role, SCP role.
        checkLengthPrefixed(sub.body, 0, 1, `${where}: role selection`);
        if (2 + sub.body.readUInt16BE(0) + 2 !== sub.body.length) {
          throw new Invalid(`${where}: role selection sub-item of inconsistent length`);
        }
        break;
      case EXTENDED_NEGOTIATION:
        // SOP class UID length, UID, then service-class application information to the end.
        checkLengthPrefixed(sub.body, 0, 1, `${where}: extended negotiation`);
        break;
      case COMMON_EXTENDED_NEGOTIATION:
        // SOP class UID, service class UID, related general SOP class identification.
        checkLengthPrefixed(sub.body, 0, 3, `${where}: common extended negotiation`);
        break;
      case USER_IDENTITY:
        // Type (1), positive-response-requested (1), primary field, secondary field.
        checkLengthPrefixed(sub.body, 2, 2, `${where}: user identity`);
        break;
      default:
        // Sub-items this hub does not know are skipped, as PS3.7 D.3.3 allows.
        break;
    }
  }
  if (maxLength !== 1) {
    throw new Invalid(`${where}: ${maxLength} maximum length sub-items (exactly 1 expected)`);
  }
}

/**
 * Checks a whole A-ASSOCIATE-RQ PDU (header included) against PS3.8 9.3.2 before anything reads it:
 * every length nests, every count and id is in range, every UID fits. dcmjs-dimse trusts all of these
 * (it crashes the process on a 257th context), so nothing it has not passed here reaches it.
 */
export function checkAssociateRq(pdu: Buffer): AssociateRqCheck {
  try {
    if (pdu.length < PDU_HEADER + FIXED_FIELDS || pdu[0] !== 0x01) {
      throw new Invalid(`A-ASSOCIATE-RQ of ${pdu.length} bytes is shorter than its fixed fields`);
    }
    if (PDU_HEADER + pdu.readUInt32BE(2) !== pdu.length) {
      throw new Invalid('A-ASSOCIATE-RQ length field does not match the PDU');
    }
    if ((pdu.readUInt16BE(PDU_HEADER) & 0x0001) === 0) {
      throw new Invalid(
        `protocol version 0x${pdu.readUInt16BE(PDU_HEADER).toString(16)} not supported`,
        AssociateRqProblem.ProtocolVersionNotSupported,
      );
    }
    checkAeField(pdu.subarray(PDU_HEADER + 4, PDU_HEADER + 20), 'called');
    checkAeField(pdu.subarray(PDU_HEADER + 20, PDU_HEADER + 36), 'calling');
    const items = itemsOf(pdu.subarray(PDU_HEADER + FIXED_FIELDS), PDU_HEADER + FIXED_FIELDS, 'A-ASSOCIATE-RQ');
    const applicationContexts = items.filter((item) => item.type === APPLICATION_CONTEXT);
    const contexts = items.filter((item) => item.type === PRESENTATION_CONTEXT);
    const userInformation = items.filter((item) => item.type === USER_INFORMATION);
    const other = items.find(
      (item) => ![APPLICATION_CONTEXT, PRESENTATION_CONTEXT, USER_INFORMATION].includes(item.type),
    );
    if (other) {
      throw new Invalid(`A-ASSOCIATE-RQ: unexpected item 0x${hex(other.type)} at offset ${other.offset}`);
    }
    if (applicationContexts.length !== 1) {
      throw new Invalid(`A-ASSOCIATE-RQ: ${applicationContexts.length} application context items (exactly 1 expected)`);
    }
    checkUid(applicationContexts[0].body, 'application context name');
    if (contexts.length === 0 || contexts.length > MAX_CONTEXTS) {
      throw new Invalid(`A-ASSOCIATE-RQ: ${contexts.length} presentation contexts (1 to ${MAX_CONTEXTS} allowed)`);
    }
    const seen = new Set<number>();
    contexts.forEach((context) => checkPresentationContext(context, seen));
    if (userInformation.length !== 1) {
      throw new Invalid(`A-ASSOCIATE-RQ: ${userInformation.length} user information items (exactly 1 expected)`);
    }
    checkUserInformation(userInformation[0]);
    return { ok: true };
  } catch (error) {
    if (error instanceof Invalid) {
      return { ok: false, reason: error.reason, problem: error.message };
    }
    throw error;
  }
}

/** An A-ASSOCIATE-RJ PDU (PS3.8 9.3.4): result 1 permanent / 2 transient, source, reason. */
export function encodeAssociateRj(result: number, source: number, reason: number): Buffer {
  return Buffer.from([0x03, 0, 0, 0, 0, 4, 0, result, source, reason]);
}

/** An A-ABORT PDU (PS3.8 9.3.8): source 0 service user, 2 service provider; reason for the provider. */
export function encodeAbort(source: number, reason: number): Buffer {
  return Buffer.from([0x07, 0, 0, 0, 0, 4, 0, 0, source, reason]);
}
