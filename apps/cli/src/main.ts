import { parseCli } from './cli-args';

/**
 * The operator's command line: `npm run hub -- <command>` (or `node dist/apps/cli/src/main.js <command>`).
 * Exit 0 done, 1 refused or failed, 2 usage. The hub's modules load only once the command line is good,
 * so help and usage errors answer at once.
 */
async function main(argv: string[]): Promise<number> {
  const parsed = parseCli(argv);
  if ('exit' in parsed) {
    return parsed.exit;
  }
  const { runCli } = await import('./cli-commands');
  return runCli(parsed.run);
}

// `npm run hub -- transfers list | head`: the reader has gone, which is no failure of the command.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') {
    process.exit(0);
  }
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error & { response?: { message?: string } }) => {
    // Nest HTTP exceptions from the services carry the caller-facing reason.
    process.stderr.write(`${error.response?.message ?? error.message}\n`);
    process.exit(1);
  },
);
