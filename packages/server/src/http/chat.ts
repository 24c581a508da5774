/** /channels/:id/messages: chat history (Enter) and posting (an account with Text); a channel's password guards both, as it guards entering. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { MessageText } from '@parley/protocol';
import { CHAT_SORTS } from '../db/chat.js';
import { requireUser } from './actor.js';
import { Id, listQuery, pageRequest, PageOf, Text } from './list.js';
import type { RouteDeps } from './routes.js';
import { BODY_ERRORS, MessageSchema, problems, SECURITY } from './schemas.js';

const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

/** The header that carries a channel's password (reading or writing the chat of a channel that has one). */
export const CHANNEL_PASSWORD_HEADER = 'parley-channel-password';

const PasswordHeader = Type.Object({
  [CHANNEL_PASSWORD_HEADER]: Type.Optional(
    Type.String({
      maxLength: 256,
      description:
        "the channel's password, when it has one and the caller is neither inside it (a live session) nor a moderator / ManageChannel there",
    }),
  ),
});

const MessageQuery = listQuery(Object.keys(CHAT_SORTS), {
  q: Type.Optional(
    Text({ minLength: 1, maxLength: 200, description: 'substring of the text, case-insensitive' }),
  ),
  authorId: Type.Optional(Id),
});

const MessageBody = Type.Object(
  {
    text: MessageText({
      minLength: 1,
      maxLength: 2000,
      description: '1–2,000 characters; no control character but tab and line breaks',
    }),
  },
  { additionalProperties: false },
);

/** Newest first unless asked otherwise. */
export const CHAT_SORT_SPEC = { columns: CHAT_SORTS, integer: ['id'], default: '-id' } as const;

export function chatRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { services } = deps;
  const tags = ['chat'];

  app.get<{
    Params: Static<typeof IdParams>;
    Querystring: Static<typeof MessageQuery>;
    Headers: Static<typeof PasswordHeader>;
  }>(
    '/channels/:id/messages',
    {
      schema: {
        tags,
        summary:
          "A channel's chat history, newest first (needs Enter there, and the channel's password like entering it)",
        security: SECURITY.optional,
        params: IdParams,
        headers: PasswordHeader,
        querystring: MessageQuery,
        response: { 200: PageOf(MessageSchema, 'MessagePage'), ...problems(400, 403, 404, 429, 503) },
      },
    },
    (req) => {
      const q = req.query;
      return services.chat.history(
        req.actor,
        req.params.id,
        {
          ...(q.q === undefined ? {} : { q: q.q }),
          ...(q.authorId === undefined ? {} : { authorId: q.authorId }),
        },
        pageRequest(q, CHAT_SORT_SPEC),
        req.headers[CHANNEL_PASSWORD_HEADER],
      );
    },
  );

  app.post<{
    Params: Static<typeof IdParams>;
    Body: Static<typeof MessageBody>;
    Headers: Static<typeof PasswordHeader>;
  }>(
    '/channels/:id/messages',
    {
      schema: {
        tags,
        summary:
          "Post a chat message; delivered live to the channel (needs Enter and Text there, and the channel's password like entering it)",
        security: SECURITY.user,
        params: IdParams,
        headers: PasswordHeader,
        body: MessageBody,
        response: { 201: MessageSchema, ...problems(...BODY_ERRORS, 401, 403, 404, 429, 503) },
      },
    },
    async (req, reply) => {
      const actor = requireUser(req);
      const m = await services.chat.post(
        actor,
        req.params.id,
        req.body.text,
        undefined,
        req.headers[CHANNEL_PASSWORD_HEADER],
      );
      return reply.code(201).send(m);
    },
  );
}
