import { ObjectLiteral, Repository } from 'typeorm';

/**
 * Moves a row between states only if it is in one of the `from` states, in one statement: two
 * workers racing on the same row cannot both win. Returns whether this call made the move.
 */
export async function transitionState<E extends ObjectLiteral & { state: string }>(
  repository: Repository<E>,
  id: string,
  from: Array<E['state']>,
  to: E['state'],
  values: Record<string, unknown> = {},
): Promise<boolean> {
  const result = await repository
    .createQueryBuilder()
    .update()
    .set({ state: to, ...values } as never)
    .where('id = :id AND state IN (:...from)', { id, from })
    .execute();
  return result.affected === 1;
}
