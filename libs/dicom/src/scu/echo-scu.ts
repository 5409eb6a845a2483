import { Client, dimseLog, requests } from '../transport/dcmjs-bridge';
import { AssociationFailure, ScuTarget, ScuTimeouts, openAssociation } from './scu-association';

/** Verification SOP Class (PS3.4 A.4): what C-ECHO asks about. */
export const VERIFICATION_SOP_CLASS_UID = '1.2.840.10008.1.1';
const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';

/** An operator waits on the answer: a node that takes longer than this to say anything counts as not answering. */
export const ECHO_TIMEOUTS: ScuTimeouts = { connectMs: 5000, associationMs: 10000, pduMs: 10000 };

export type EchoResult =
  /** The node answered the C-ECHO; status 0x0000 is success. roundTripMs runs from connecting to the answer. */
  | { kind: 'answered'; status: number; roundTripMs: number; message: string }
  /** The association failed as named (refused, rejected, aborted, timeout, network). */
  | (AssociationFailure & { roundTripMs: number })
  /** The association closed without an answer (e.g. the node accepted no Verification context). */
  | { kind: 'not-answered'; roundTripMs: number; message: string };

/** One C-ECHO from the hub's AE to a node, on its own association; never throws for what the node did. */
export function echo(target: ScuTarget, timeouts: ScuTimeouts = ECHO_TIMEOUTS): Promise<EchoResult> {
  dimseLog.setLevel('error');
  const started = process.hrtime.bigint();
  const elapsed = () => Math.max(0, Math.round(Number(process.hrtime.bigint() - started) / 1e6));
  const peer = `${target.calledAeTitle}@${target.host}:${target.port}`;
  const client = new Client();
  const request = new requests.CEchoRequest();
  let answer: { status: number; roundTripMs: number } | undefined;
  request.on('response', (response: { getStatus(): number }) => {
    answer = { status: response.getStatus(), roundTripMs: elapsed() };
  });
  client.addRequest(request);
  return new Promise<EchoResult>((resolve) =>
    openAssociation(
      client,
      target,
      timeouts,
      (failure) => {
        if (answer) {
          const status = `0x${answer.status.toString(16).padStart(4, '0').toUpperCase()}`;
          resolve({
            kind: 'answered',
            ...answer,
            message: answer.status === 0 ? `${peer}: C-ECHO success` : `${peer}: C-ECHO answered status ${status}`,
          });
        } else if (failure) {
          resolve({ ...failure, roundTripMs: elapsed() });
        } else {
          resolve({
            kind: 'not-answered',
            roundTripMs: elapsed(),
            message: `${peer}: association closed without a C-ECHO answer (Verification not accepted?)`,
          });
        }
      },
      [{ abstractSyntaxUid: VERIFICATION_SOP_CLASS_UID, transferSyntaxUid: IMPLICIT_VR_LITTLE_ENDIAN }],
    ),
  );
}
