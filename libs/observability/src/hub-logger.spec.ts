import { IncomingMessage } from 'node:http';
import { logsArePretty, pinoLevel, requestRoute } from './hub-logger';

describe('hub logger settings', () => {
  it('maps Nest level names onto pino', () => {
    expect(['error', 'warn', 'log', 'debug', 'verbose'].map((level) => pinoLevel(level as 'log'))).toEqual([
      'error',
      'warn',
      'info',
      'debug',
      'trace',
    ]);
  });

  it('writes text on a terminal and JSON elsewhere, unless LOG_FORMAT says which', () => {
    expect(logsArePretty(undefined, true)).toBe(true);
    expect(logsArePretty(undefined, false)).toBe(false);
    expect(logsArePretty('json', true)).toBe(false);
    expect(logsArePretty('pretty', false)).toBe(true);
  });
});

describe('requestRoute', () => {
  const request = (url: string, route?: string, baseUrl = '') =>
    ({ url, baseUrl, ...(route ? { route: { path: route } } : {}) }) as unknown as IncomingMessage & {
      route?: { path: string };
    };

  it('names the declared route, not the path with its parameters and query', () => {
    expect(
      requestRoute(request('/api/audit/patients/RVJ0042/access?x=1', '/api/audit/patients/:patientId/access')),
    ).toBe('/api/audit/patients/:patientId/access');
  });

  it('keeps an unmatched API path out of the line, and the bare path of a web app file', () => {
    expect(requestRoute(request('/api/audit/patients/RVJ0042/nothing'))).toBe('(no route)');
    expect(requestRoute(request('/assets/index-abc.js?v=2'))).toBe('/assets/index-abc.js');
  });
});
