import { ErrorCode } from '@parley/protocol';
import { Perm } from '../auth/permissions.js';
import type { ChatFilter, ChatMessage } from '../db/chat.js';
import type { Page, PageRequest } from '../db/paginate.js';
import type { HubPeer } from '../control/hub.js';
import type { Actor } from './actor.js';
import type { ChannelService } from './channels.js';
import type { ServiceContext } from './context.js';
import { fail } from './errors.js';

/** Text chat per channel: persisted, delivered live to the channel's members. */
export class ChatService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly channels: ChannelService,
  ) {}

  /**
   * Posts and delivers live; `except` (the WebSocket poster, answered with
   * its own copy) is skipped. Writing follows the channel's door
   * (ChannelService.assertAccess with Enter and Text): a channel with a
   * password needs it (`password`), unless the author is inside it or
   * passes its lock.
   */
  async post(
    actor: Actor,
    channelId: number,
    text: string,
    except?: HubPeer,
    password?: string,
  ): Promise<ChatMessage> {
    const channel = this.channels.get(channelId);
    await this.channels.assertAccess(
      actor,
      channel,
      Perm.Enter | Perm.Text,
      password,
      this.channels.isInside(actor, channelId),
    );
    const trimmed = text.trim();
    if (trimmed.length === 0) fail(ErrorCode.Validation, 'a message needs some text');
    const m = await this.ctx.stores.chat.post({
      channelId,
      authorId: actor.userId,
      authorName: actor.name,
      text: trimmed,
    });
    this.ctx.hub.broadcast(channelId, { type: 'chat', message: m }, except);
    return m;
  }

  /** A channel's history, for whoever may enter it (its password, unless inside or past its lock). */
  async history(
    actor: Actor,
    channelId: number,
    filter: ChatFilter,
    page: PageRequest,
    password?: string,
  ): Promise<Page<ChatMessage>> {
    const channel = this.channels.get(channelId);
    await this.channels.assertAccess(
      actor,
      channel,
      Perm.Enter,
      password,
      this.channels.isInside(actor, channelId),
    );
    return this.ctx.stores.chat.list(channelId, filter, page);
  }
}
