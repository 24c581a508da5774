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

  /** Posts and delivers live; `except` (the WebSocket poster, answered with its own copy) is skipped. */
  async post(actor: Actor, channelId: number, text: string, except?: HubPeer): Promise<ChatMessage> {
    this.channels.get(channelId);
    if (!this.ctx.hub.may(actor, Perm.Text, channelId))
      fail(ErrorCode.Forbidden, 'you may not write in this channel');
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

  async history(
    actor: Actor,
    channelId: number,
    filter: ChatFilter,
    page: PageRequest,
  ): Promise<Page<ChatMessage>> {
    this.channels.get(channelId);
    if (!this.ctx.hub.may(actor, Perm.Enter, channelId))
      fail(ErrorCode.Forbidden, 'you may not read this channel');
    return this.ctx.stores.chat.list(channelId, filter, page);
  }
}
