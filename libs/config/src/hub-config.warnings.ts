import { coercionLengthWarning } from '@hub/coercion';
import { formatPath } from './config.error';
import { HubConfig } from './hub-config.types';

/**
 * What a valid hub file allows but an operator should know, one line per warning, `path: warning`: a
 * coercion rule that can write a value longer than its element's VR holds (cut and flagged when sent).
 * Templates count at their longest: any trust's code and patient ID issuer as the sender.
 */
export function hubConfigWarnings(hub: HubConfig): string[] {
  const longest = (values: string[]) => values.reduce((a, b) => (b.length > a.length ? b : a), '');
  const sender = {
    code: longest(hub.trusts.map((trust) => trust.code)),
    patientIdIssuer: longest(hub.trusts.map((trust) => trust.patientIdIssuer)),
  };
  return hub.trusts.flatMap((trust, trustIndex) =>
    trust.coercion.flatMap((rule, ruleIndex) => {
      const warning = coercionLengthWarning(rule, { sender, recipient: { code: trust.code } });
      return warning ? [`${formatPath(['trusts', trustIndex, 'coercion', ruleIndex])}: ${warning}`] : [];
    }),
  );
}

/** The warnings as the loader and `config apply` print them; empty when there are none. */
export function formatHubConfigWarnings(warnings: string[], source: string): string {
  return warnings.length === 0
    ? ''
    : `Hub configuration warnings (${source}):\n${warnings.map((warning) => `  ${warning}\n`).join('')}`;
}
