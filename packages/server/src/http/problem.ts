import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ErrorCode } from '@parley/protocol';
import { HTTP_STATUS, ServiceError } from '../services/errors.js';

/** An RFC 9457 problem+json body with our stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
}

/** The schema of every error answer (docs/errors.md), for the OpenAPI document and the serializer. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI naming the error code' }),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'stable PARLEY_ERR_… code (docs/errors.md)', pattern: '^PARLEY_ERR_' }),
    detail: Type.Optional(Type.String()),
  },
  { title: 'Problem', description: 'An error: application/problem+json (docs/errors.md)' },
);

export const PROBLEM_TYPE = 'application/problem+json';

export function sendProblem(
  reply: FastifyReply,
  status: number,
  code: string,
  title: string,
  detail?: string,
): FastifyReply {
  const body: Problem = { type: `https://parley.invalid/errors#${code}`, title, status, code };
  if (detail !== undefined) body.detail = detail;
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(status).type(PROBLEM_TYPE).send(body);
}

/** Fastify's own request errors → our status and code (never a 500 for bad input). */
const FASTIFY_ERRORS: Readonly<Record<string, { status: number; code: ErrorCode; title: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: ErrorCode.BadMessage, title: 'Body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: ErrorCode.BadMessage, title: 'Empty JSON body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: ErrorCode.BadMessage,
    title: 'Content-Length does not match the body',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: ErrorCode.MessageTooLarge,
    title: 'Request body is larger than 64 KiB',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: ErrorCode.UnsupportedMediaType,
    title: 'Unsupported content type: send application/json',
  },
  FST_ERR_BAD_URL: { status: 400, code: ErrorCode.BadMessage, title: 'Malformed URL' },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 400,
    code: ErrorCode.BadMessage,
    title: 'A path parameter is too long',
  },
};

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  503: 'Service unavailable',
};

function isParleyCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && code.startsWith('PARLEY_ERR_');
}

/**
 * Fastify's `frameworkErrors`: errors raised before routing (a malformed URL
 * such as `/api/v1/users/%`, an over-long parameter) as problem+json too.
 */
export function frameworkProblem(err: FastifyError, _req: unknown, reply: FastifyReply): void {
  const known = FASTIFY_ERRORS[err.code];
  if (known !== undefined) {
    void sendProblem(reply, known.status, known.code, known.title, err.message);
    return;
  }
  void sendProblem(reply, 400, ErrorCode.BadMessage, 'Bad request', err.message);
}

/** Answers an unmatched request itself (the web app's client routes), or returns false. */
export type NotFoundFallback = (req: FastifyRequest, reply: FastifyReply) => FastifyReply | false;

/** Every error leaves as problem+json with a code; never a stack trace. */
export function installProblemHandlers(app: FastifyInstance, fallback?: NotFoundFallback): void {
  app.setNotFoundHandler((req, reply) => {
    const answered = fallback?.(req, reply) ?? false;
    if (answered !== false) return answered;
    return sendProblem(reply, 404, ErrorCode.NotFound, 'Not found', `${req.method} ${req.url.split('?')[0]}`);
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    // A refusal from a service (or a store error with our code, e.g. a forged cursor).
    if (err instanceof ServiceError) {
      return sendProblem(reply, err.status, err.code, TITLES[err.status] ?? 'Refused', err.message);
    }
    if (err.validation !== undefined || err.code === 'FST_ERR_VALIDATION') {
      return sendProblem(reply, 400, ErrorCode.Validation, 'Invalid request', err.message);
    }
    const known = FASTIFY_ERRORS[err.code];
    if (known !== undefined) return sendProblem(reply, known.status, known.code, known.title, err.message);
    if (isParleyCode(err.code) && HTTP_STATUS[err.code] !== undefined) {
      const status = HTTP_STATUS[err.code] ?? 400;
      return sendProblem(reply, status, err.code, TITLES[status] ?? 'Refused', err.message);
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return sendProblem(reply, 500, ErrorCode.Internal, 'Internal error');
    }
    if (status === 429)
      return sendProblem(reply, 429, ErrorCode.RateLimited, 'Too many requests', err.message);
    return sendProblem(
      reply,
      status,
      isParleyCode(err.code) ? err.code : ErrorCode.BadMessage,
      TITLES[status] ?? 'Bad request',
      err.message,
    );
  });
}
