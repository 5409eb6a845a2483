import { Logger } from '@nestjs/common';

/**
 * Runs work now and then every intervalMs, one pass at a time; a failed pass is logged and the next
 * one runs as planned. Returns what stops it.
 */
export async function startPeriodicTask(
  name: string,
  intervalMs: number,
  work: () => Promise<unknown>,
  logger: Logger,
): Promise<() => void> {
  const pass = async () => {
    try {
      await work();
    } catch (error) {
      logger.error(`${name} failed: ${(error as Error).message}`);
    }
  };
  await pass();
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= pass().finally(() => (running = undefined));
  }, intervalMs);
  return () => clearInterval(timer);
}
