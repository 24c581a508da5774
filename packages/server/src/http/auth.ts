/** /auth: register, login (both rate-limited per client address), logout, me, password change. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ErrorCode } from '@parley/protocol';
import { fail } from '../services/errors.js';
import { requireUser } from './actor.js';
import { NameText } from './list.js';
import type { RouteDeps } from './routes.js';
import { BODY_ERRORS, LoginSchema, NoContent, problems, SECURITY, UserSchema } from './schemas.js';
import { lookupName } from '../auth/names.js';
import { AttemptLimiter } from '../auth/attempt-limiter.js';

const Password = Type.String({ minLength: 8, maxLength: 256 });

const Registration = Type.Object(
  { name: NameText(32, 'account name, unique case-insensitively'), password: Password },
  { additionalProperties: false },
);

const Credentials = Type.Object(
  { name: NameText(32), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

const PasswordChange = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
    password: Password,
  },
  { additionalProperties: false },
);

export function authRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { services } = deps;
  const tags = ['auth'];
  /** Per client address (`req.ip`, after trustProxy; IPv6 by its /64), answered as 429 problem+json with Retry-After. */
  const rateLimit = { max: deps.config.auth.loginPerMinute, timeWindow: 60_000 };
  /**
   * Per account as well (`auth.loginPerAccountPerMinute`): guesses spread over many addresses
   * still get that many tries per account and minute; the map is bounded (`auth.attemptTrackedKeys`).
   */
  const perAccount = new AttemptLimiter({
    limit: deps.config.auth.loginPerAccountPerMinute,
    windowMs: 60_000,
    maxKeys: deps.config.auth.attemptTrackedKeys,
    now: () => performance.now(),
  });
  const limitAccount = (reply: FastifyReply, key: string): void => {
    const waitMs = perAccount.take(key);
    if (waitMs === 0) return;
    const wait = Math.ceil(waitMs / 1000);
    void reply.header('retry-after', String(wait));
    fail(ErrorCode.RateLimited, `too many password attempts for this account: retry in ${wait} s`);
  };

  app.post<{ Body: Static<typeof Registration> }>(
    '/auth/register',
    {
      config: { rateLimit },
      schema: {
        tags,
        summary: 'Create an account (when the runtime setting allowRegistration is on) and log in',
        security: SECURITY.none,
        body: Registration,
        response: { 201: LoginSchema, ...problems(...BODY_ERRORS, 403, 409, 429, 503) },
      },
    },
    async (req, reply) => {
      const r = await services.auth.register(req.body.name, req.body.password, req.ip);
      return reply.code(201).send(r);
    },
  );

  app.post<{ Body: Static<typeof Credentials> }>(
    '/auth/login',
    {
      config: { rateLimit },
      schema: {
        tags,
        summary: 'Log in: returns a bearer token',
        security: SECURITY.none,
        body: Credentials,
        response: { 200: LoginSchema, ...problems(...BODY_ERRORS, 401, 403, 429, 503) },
      },
    },
    (req, reply) => {
      limitAccount(reply, `name:${lookupName(req.body.name).toLowerCase()}`);
      return services.auth.login(req.body.name, req.body.password, req.ip);
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags,
        summary: 'End this token',
        security: SECURITY.user,
        response: { 204: NoContent, ...problems(401) },
      },
    },
    async (req, reply) => {
      requireUser(req);
      if (req.tokenHash !== null) await services.auth.logout(req.tokenHash);
      return reply.code(204).send();
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        tags,
        summary: 'The account of this token',
        security: SECURITY.user,
        response: { 200: UserSchema, ...problems(401) },
      },
    },
    async (req) => {
      const a = requireUser(req);
      const user = await deps.stores.users.byId(a.userId);
      if (user === undefined) fail(ErrorCode.AuthRequired, 'this account no longer exists');
      return user;
    },
  );

  app.patch<{ Body: Static<typeof PasswordChange> }>(
    '/auth/me',
    {
      // The current-password check is a password guess like a login: limited per address and per account.
      config: { rateLimit },
      schema: {
        tags,
        summary: 'Change your password: every token of the account ends; the answer carries a new one',
        security: SECURITY.user,
        body: PasswordChange,
        response: { 200: LoginSchema, ...problems(...BODY_ERRORS, 401, 429, 503) },
      },
    },
    (req, reply) => {
      const a = requireUser(req);
      limitAccount(reply, `name:${a.name.toLowerCase()}`);
      return services.auth.changePassword(a, req.body.currentPassword, req.body.password);
    },
  );
}
