import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode } from '@parley/protocol';

/** An RFC 9457 problem+json body with our stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
}

export function sendProblem(
  reply: FastifyReply,
  status: number,
  code: string,
  title: string,
  detail?: string,
): FastifyReply {
  const body: Problem = { type: `https://parley.invalid/errors#${code}`, title, status, code };
  if (detail !== undefined) body.detail = detail;
  return reply.code(status).type('application/problem+json').send(body);
}

/** Every error leaves as problem+json with a code; never a stack trace. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, 404, ErrorCode.NotFound, 'Not found', `${req.method} ${req.url}`),
  );
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      return sendProblem(reply, 400, ErrorCode.Validation, 'Invalid request', err.message);
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return sendProblem(reply, 500, ErrorCode.Internal, 'Internal error');
    }
    return sendProblem(
      reply,
      status,
      err.code?.startsWith('PARLEY_ERR_') ? err.code : ErrorCode.BadMessage,
      err.message,
    );
  });
}
