/** /config: run-time settings (admin), changed through Services.patchSettings (audited, applied at once). */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { RuntimeSettingsSchema } from '../db/settings.js';
import { requireRole } from './actor.js';
import type { RouteDeps } from './routes.js';
import { BODY_ERRORS, problems, SECURITY } from './schemas.js';

const Settings = Type.Object(RuntimeSettingsSchema.properties, { title: 'RuntimeSettings' });
const SettingsPatch = Type.Partial(RuntimeSettingsSchema, { additionalProperties: false, minProperties: 1 });

export function configRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const tags = ['config'];

  app.get(
    '/config',
    {
      schema: {
        tags,
        summary: 'Run-time settings (admin)',
        security: SECURITY.user,
        response: { 200: Settings, ...problems(401, 403) },
      },
    },
    (req) => {
      requireRole(req, 'admin');
      return deps.settings.get();
    },
  );

  app.patch<{ Body: Static<typeof SettingsPatch> }>(
    '/config',
    {
      schema: {
        tags,
        summary: 'Change run-time settings (admin); audited and applied at once',
        security: SECURITY.user,
        body: SettingsPatch,
        response: { 200: Settings, ...problems(...BODY_ERRORS, 401, 403) },
      },
    },
    (req) => {
      const actor = requireRole(req, 'admin');
      return deps.services.patchSettings(actor, req.body);
    },
  );
}
