import Ajv from 'ajv';
import request from 'supertest';
import { startTestHub, TestHub } from './support/test-hub';

type Schema = Record<string, unknown>;
interface Response {
  description?: string;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  responses: Record<string, Response>;
  security?: unknown[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('the portal API contract: every body described, one error shape, and the answers match', () => {
  let hub: TestHub;
  let document: Document;
  let operator: { Authorization: string };
  let clinician: { Authorization: string };
  let ajv: Ajv;

  /** Validates a real answer against the document's schema for that operation and status. */
  const expectMatches = (method: string, path: string, status: number, body: unknown) => {
    const schema = document.paths[path][method].responses[String(status)]?.content?.['application/json']?.schema;
    expect(schema).toBeDefined();
    const validate = ajv.compile({ ...schema, components: document.components });
    const valid = validate(body);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  };

  beforeAll(async () => {
    hub = await startTestHub({ apps: ['portal'] });
    document = (await request(hub.http!).get('/api/docs-json').expect(200)).body as Document;
    // OpenAPI 3.0 schemas: `nullable` and `example` are its keywords, and components are referenced by $ref.
    ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addKeyword('example');
    operator = await hub.userSession('contract-operator', 'operator');
    clinician = await hub.userSession('contract-clinician', 'clinician', 'RA7');
  }, 60_000);

  afterAll(async () => {
    await hub?.destroy();
  });

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) => ({ method, path, operation: item[method] })),
    );

  it('describes the success body of every operation, or says it has none', () => {
    const undescribed = operations()
      .filter(({ operation }) => {
        const success = Object.entries(operation.responses).filter(([code]) => /^2\d\d$/.test(code));
        return !success.some(([code, response]) => code === '204' || Object.keys(response.content ?? {}).length > 0);
      })
      .map(({ method, path }) => `${method} ${path}`);
    expect(undescribed).toEqual([]);
  });

  it('gives every 4xx the one error shape, and the session scheme to every operation that needs a session', () => {
    const problems: string[] = [];
    for (const { method, path, operation } of operations()) {
      for (const [code, response] of Object.entries(operation.responses)) {
        if (
          /^4\d\d$/.test(code) &&
          response.content?.['application/json']?.schema?.$ref !== '#/components/schemas/ApiError'
        ) {
          problems.push(`${method} ${path} ${code}`);
        }
      }
      if (operation.responses['401'] && !operation.security) {
        problems.push(`${method} ${path}: 401 without a security scheme`);
      }
    }
    expect(problems).toEqual([]);
    expect(document.components.securitySchemes?.bearer).toMatchObject({ bearerFormat: 'opaque session token' });
  });

  it('resolves every $ref', () => {
    const refs = new Set<string>();
    const walk = (node: unknown) => {
      if (Array.isArray(node)) {
        node.forEach(walk);
      } else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') {
            refs.add(value);
          } else {
            walk(value);
          }
        }
      }
    };
    walk(document);
    const missing = [...refs].filter(
      (ref) => !ref.startsWith('#/components/schemas/') || !document.components.schemas[ref.split('/').pop()!],
    );
    expect(missing).toEqual([]);
    expect(refs.size).toBeGreaterThan(10);
  });

  it('answers errors in that shape, from a bad filter to an unknown route', async () => {
    const answers = [
      await request(hub.http!).get('/api/transfers?state=lost').set(operator).expect(400),
      await request(hub.http!).get('/api/transfers').expect(401),
      await request(hub.http!).get('/api/users').set(clinician).expect(403),
      await request(hub.http!).get('/api/transfers/00000000-0000-4000-8000-000000000000').set(operator).expect(404),
      await request(hub.http!).get('/api/no-such-thing').set(operator).expect(404),
      await request(hub.http!)
        .post('/api/auth/login')
        .set('content-type', 'application/json')
        .send('{"username": ')
        .expect(400),
    ];
    for (const answer of answers) {
      expectMatches('get', '/api/transfers/{transferId}', answer.status, answer.body);
      expect(Object.keys(answer.body as object).sort()).toEqual(['error', 'message', 'statusCode']);
    }
    expect((answers[0].body as { message: string }).message).toMatch(/^state: expected one of/);
  });

  it("answers bodies that match the document's schemas", async () => {
    expectMatches('get', '/api/transfers', 200, (await request(hub.http!).get('/api/transfers').set(operator)).body);
    expectMatches('get', '/api/auth/me', 200, (await request(hub.http!).get('/api/auth/me').set(operator)).body);
    expectMatches('get', '/api/agreements', 200, (await request(hub.http!).get('/api/agreements').set(operator)).body);
    expectMatches('get', '/api/users', 200, (await request(hub.http!).get('/api/users').set(operator)).body);
    expectMatches('get', '/api/audit', 200, (await request(hub.http!).get('/api/audit').set(operator)).body);
    expectMatches('get', '/api/operations', 200, (await request(hub.http!).get('/api/operations').set(operator)).body);
    expectMatches('get', '/api/quarantine', 200, (await request(hub.http!).get('/api/quarantine').set(operator)).body);
  });
});
