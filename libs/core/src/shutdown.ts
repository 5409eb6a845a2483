import { INestApplicationContext, Logger } from '@nestjs/common';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT: close the app, then exit 0 (Nest's own shutdown hooks re-raise the signal, which a
 * supervisor reads as a crash: 143 from Docker). Closing runs the module hooks: the receiver stops accepting and
 * lets running associations finish, workers finish their active jobs, then queues and the database close.
 * A second signal while closing exits at once (1).
 */
export function closeOnSignals(app: INestApplicationContext, logger = new Logger('Shutdown')): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn(`${signal} again while closing: exiting now`);
      process.exit(1);
    }
    closing = true;
    logger.log(`${signal}: closing (no new associations or jobs; running ones finish)`);
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error(`closing failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) {
    process.on(signal, onSignal);
  }
}
