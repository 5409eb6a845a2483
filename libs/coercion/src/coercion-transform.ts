import { DatasetTransform } from '@hub/dicom';
import { CoercionContext, CoercionRule, applyCoercion, coercionScope } from './coercion';

/**
 * The recipient's coercion as the SCU applies it to each data set going out (push or C-MOVE): only
 * the leading elements up to the highest tag the rules name are rewritten. None without rules.
 */
export function coercionTransform(
  rules: CoercionRule[],
  context: CoercionContext,
  onProblem: (problem: string) => void,
): DatasetTransform | undefined {
  if (rules.length === 0) {
    return undefined;
  }
  return {
    belowTag: coercionScope(rules),
    apply: (head, instance) => {
      const result = applyCoercion(head, instance.transferSyntaxUid, rules, context);
      result.problems.forEach(onProblem);
      return result.dataset;
    },
  };
}
