import type { Actor } from './actor.js';
import { AuthService } from './auth.js';
import { ChannelService } from './channels.js';
import { ChatService } from './chat.js';
import { audit, storesFor, type ServiceContext } from './context.js';
import { ModerationService } from './moderation.js';
import type { RuntimeSettings } from '../db/settings.js';

/** The operations REST and the WebSocket share; one instance per server. */
export class Services {
  readonly auth: AuthService;
  readonly channels: ChannelService;
  readonly moderation: ModerationService;
  readonly chat: ChatService;

  constructor(readonly ctx: ServiceContext) {
    this.auth = new AuthService(ctx);
    this.channels = new ChannelService(ctx);
    this.moderation = new ModerationService(ctx, this.channels);
    this.chat = new ChatService(ctx, this.channels);
  }

  /** Admin: changes run-time settings (validated by the route), audited, applied at once. */
  async patchSettings(actor: Actor, patch: Partial<RuntimeSettings>): Promise<RuntimeSettings> {
    await this.ctx.db.transaction().execute(async (tx) => {
      await this.ctx.settings.write(tx, patch);
      await storesFor(tx).audit.record(audit(actor, 'config.update', 'config', null, patch));
    });
    return this.ctx.settings.apply(patch);
  }
}

export { ServiceError, fail } from './errors.js';
export type { Actor } from './actor.js';
export { ANONYMOUS } from './actor.js';
export { SYSTEM } from './context.js';
export { SessionCloseCode, actorOf } from './auth.js';
