import { errorMessage, queryString } from './client';

describe('API client helpers', () => {
  it("shows the server's own message, joining a list, and a plain one when there is none", () => {
    expect(errorMessage({ statusCode: 400, message: 'state: expected one of queued, failed' }, 400)).toBe(
      'state: expected one of queued, failed',
    );
    expect(errorMessage({ statusCode: 400, message: ['a: required', 'b: too long'] }, 400)).toBe(
      'a: required; b: too long',
    );
    expect(errorMessage(null, 502)).toBe('request failed (HTTP 502)');
    expect(errorMessage({ message: '' }, 500)).toBe('request failed (HTTP 500)');
  });

  it('leaves empty parameters out of the query string and encodes the rest', () => {
    expect(queryString({ state: 'queued', patientId: '', folder: undefined })).toBe('?state=queued');
    expect(queryString({ patientId: 'A&B 1' })).toBe('?patientId=A%26B+1');
    expect(queryString({})).toBe('');
  });
});
