import { BadRequestException, ForbiddenException, HttpException, NotFoundException } from '@nestjs/common';
import { apiErrorOf } from './api-error.filter';

describe('apiErrorOf', () => {
  it('keeps the message a Nest exception was given, with the status name', () => {
    expect(apiErrorOf(new BadRequestException('state: expected one of queued, delivered'))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'state: expected one of queued, delivered',
    });
    expect(apiErrorOf(new ForbiddenException('your role (clinician) may not do this'))).toMatchObject({
      statusCode: 403,
      error: 'Forbidden',
    });
  });

  it('makes a list of messages one message', () => {
    expect(apiErrorOf(new BadRequestException(['username: required', 'password: required']))).toMatchObject({
      message: 'username: required; password: required',
    });
  });

  it('keeps the field a refusal names', () => {
    expect(apiErrorOf(new BadRequestException({ field: 'to', message: 'to: sharing agreement suspended' }))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'to: sharing agreement suspended',
      field: 'to',
    });
  });

  it('names a status Nest leaves unnamed', () => {
    expect(apiErrorOf(new HttpException('too many failed log-ins', 429))).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'too many failed log-ins',
    });
    expect(apiErrorOf(new NotFoundException())).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('says nothing of an unexpected error but that it happened', () => {
    const body = apiErrorOf(new Error("ER_DUP_ENTRY: Duplicate entry 'SMITH^JOHN'"));
    expect(body).toMatchObject({ statusCode: 500, error: 'Internal Server Error' });
    expect(body.message).not.toMatch(/SMITH|ER_DUP/);
  });
});
