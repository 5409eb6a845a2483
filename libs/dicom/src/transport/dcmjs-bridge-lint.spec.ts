import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../../../..');

/**
 * Lints each source as if it were its file, with the repository's own ESLint config, through ESLint's
 * Node API. It runs in one child process: the config is an ES module, which jest's VM cannot import.
 */
async function lint(cases: Array<[source: string, file: string]>): Promise<string[][]> {
  const script = `
    const { ESLint } = require('eslint');
    const eslint = new ESLint({ cwd: process.cwd() });
    const cases = JSON.parse(process.argv[1]);
    Promise.all(cases.map(([source, filePath]) => eslint.lintText(source, { filePath }))).then((results) =>
      process.stdout.write(JSON.stringify(results.map(([r]) => r.messages.map((m) => m.ruleId + ': ' + m.message)))),
    );
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-e', script, JSON.stringify(cases.map(([source, file]) => [source, join(ROOT, file)]))],
    { cwd: ROOT },
  );
  return JSON.parse(stdout) as string[][];
}

/** The repository's ESLint config keeps dcmjs-dimse inside the bridge (no-restricted-imports). */
describe('dcmjs-dimse stays behind the bridge', () => {
  const importing = "import { Client } from 'dcmjs-dimse';\n\nexport const client = new Client();\n";
  const typeOnly =
    "type Request = import('dcmjs-dimse').requests.CStoreRequest;\n\nexport const request: Request | undefined = undefined;\n";
  let outside: string[];
  let typeOutside: string[];
  let inBridge: string[];

  beforeAll(async () => {
    [outside, typeOutside, inBridge] = await lint([
      [importing, 'libs/delivery/src/delivery.service.ts'],
      [typeOnly, 'libs/dicom/src/scp/hub-scp.ts'],
      [importing, 'libs/dicom/src/transport/dcmjs-bridge.ts'],
    ]);
  }, 90000);

  it('rejects an import of dcmjs-dimse outside the bridge', () => {
    expect(outside).toContainEqual(expect.stringMatching(/^no-restricted-imports: .*dcmjs-bridge\.ts/));
  });

  it('rejects a type-only import of dcmjs-dimse outside the bridge', () => {
    expect(typeOutside).toContainEqual(expect.stringMatching(/^no-restricted-syntax: .*dcmjs-bridge\.ts/));
  });

  it('allows it in the bridge', () => {
    expect(inBridge).toEqual([]);
  });
});
