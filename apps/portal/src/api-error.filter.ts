import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/** Every error the portal's API answers, whatever raised it: the status, its name, and one readable message. */
export interface ApiError {
  statusCode: number;
  /** The HTTP status's name: "Bad Request", "Not Found"… */
  error: string;
  /** What was wrong, naming the field or the thing when there is one ("state: expected one of …"). */
  message: string;
  /** The request field at fault, when the error is about one field (a form can mark it). */
  field?: string;
}

/** The body for an exception: Nest's own shapes (a string, or an object with a message array) made into one. */
export function apiErrorOf(exception: unknown): ApiError {
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const message = Array.isArray(raw)
      ? raw.map(String).join('; ')
      : typeof raw === 'string' && raw !== ''
        ? raw
        : exception.message;
    const field = typeof response === 'object' ? (response as { field?: unknown }).field : undefined;
    return {
      statusCode,
      error: STATUS_CODES[statusCode] ?? 'Error',
      message,
      ...(typeof field === 'string' ? { field } : {}),
    };
  }
  // Anything else is the hub's fault: say so without detail (it may hold SQL, paths or patient data).
  return {
    statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
    error: STATUS_CODES[HttpStatus.INTERNAL_SERVER_ERROR]!,
    message: 'internal error: the operator can find it in the portal log',
  };
}

/** Answers every error in the ApiError shape; unexpected ones are logged (their message, not the request). */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{
      headersSent: boolean;
      status(code: number): { json(body: unknown): void };
    }>();
    const body = apiErrorOf(exception);
    if (!(exception instanceof HttpException)) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (response.headersSent) {
      return;
    }
    response.status(body.statusCode).json(body);
  }
}
