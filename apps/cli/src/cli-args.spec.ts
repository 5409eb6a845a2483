import { CliOutput, ParsedCli, parseCli } from './cli-args';

function parse(argv: string[]): { parsed: ParsedCli; out: string; err: string } {
  let out = '';
  let err = '';
  const output: CliOutput = { writeOut: (text) => (out += text), writeErr: (text) => (err += text) };
  return { parsed: parseCli(argv, output), out, err };
}

describe('parseCli', () => {
  it('parses a command with its options, --json and --as wherever they stand', () => {
    expect(
      parse(['--as', 'nightly', 'transfers', 'list', '--state', 'queued', '--study', '1.2.3', '--json']).parsed,
    ).toEqual({
      run: {
        command: {
          name: 'transfers list',
          state: 'queued',
          trust: undefined,
          folder: undefined,
          withoutReport: false,
          study: '1.2.3',
          accession: undefined,
        },
        json: true,
        as: 'nightly',
      },
    });
    expect(parse(['echo', 'RA7_PACS', '--as', 'someone']).parsed).toEqual({
      run: { command: { name: 'echo', aeTitle: 'RA7_PACS' }, json: false, as: 'someone' },
    });
    expect(parse(['transfers', 'show', 'abc', '--json']).parsed).toEqual({
      run: { command: { name: 'transfers show', transferId: 'abc' }, json: true, as: undefined },
    });
    expect(parse(['expire', '--dry-run']).parsed).toEqual({
      run: { command: { name: 'expire', dryRun: true }, json: false, as: undefined },
    });
  });

  it('refuses a misspelt option with a suggestion, exit 2, rather than ignoring it', () => {
    const { parsed, err, out } = parse(['transfers', 'list', '--sate', 'queued']);
    expect(parsed).toEqual({ exit: 2 });
    expect(err).toContain("error: unknown option '--sate'");
    expect(err).toContain('(Did you mean --state?)');
    expect(out).toBe('');
  });

  it('refuses a missing value, and an option taken for a value', () => {
    expect(parse(['transfers', 'list', '--state']).parsed).toEqual({ exit: 2 });
    const swallowed = parse(['transfers', 'list', '--state', '--json']);
    expect(swallowed.parsed).toEqual({ exit: 2 });
    expect(swallowed.err).toContain("option '--state <state>' argument '--json' is invalid");
  });

  it('refuses a missing required option or argument, an extra argument and an unknown command', () => {
    const missing = parse(['user', 'create', '--username', 'ann']);
    expect(missing.parsed).toEqual({ exit: 2 });
    expect(missing.err).toContain("required option '--role <role>' not specified");
    expect(parse(['config', 'apply']).parsed).toEqual({ exit: 2 });
    expect(parse(['quarantine', 'release', 'a', 'b']).parsed).toEqual({ exit: 2 });
    const unknown = parse(['transfers', 'delete']);
    expect(unknown.parsed).toEqual({ exit: 2 });
    expect(unknown.err).toContain("unknown command 'delete'");
  });

  it('prints help for each command with exit 0, and the overview with exit 2 when no command is given', () => {
    const help = parse(['fetch', 'request', '--help']);
    expect(help.parsed).toEqual({ exit: 0 });
    expect(help.out).toContain('Usage: hub fetch request [options]');
    expect(help.out).toContain('--patient-id <id>');
    const viaHelp = parse(['help', 'nodes']);
    expect(viaHelp.parsed).toEqual({ exit: 0 });
    expect(viaHelp.out).toContain('Usage: hub nodes');
    const none = parse([]);
    expect(none.parsed).toEqual({ exit: 2 });
    expect(none.err).toContain('agreements list [options]');
  });
});
