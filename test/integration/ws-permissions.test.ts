import { describe, expect, it } from 'vitest';
import type { VoiceClient } from '@parley/client';
import { Perm } from '../../packages/server/src/auth/permissions.js';
import { waitFor } from '../helpers/wait.js';
import { account, hear, speak, useWsServer, type SdkOptions } from '../helpers/ws.js';

describe('the Speak permission on the real media path', () => {
  const f = useWsServer();
  const drops = () => f.server.plane.stats.snapshot().drops;

  async function sdk(opts: SdkOptions, channel: string): Promise<VoiceClient> {
    const client = await f.sdk(opts, channel);
    expect(client.transportKind).toBe('udp');
    return client;
  }

  it('a member denied Speak is heard by nobody; others are; lifting it works without rejoining', async () => {
    const games = f.server.hub.findChannel('Games')!.id;
    const alice = await sdk({ token: (await account(f.server, f.admin, 'alice', 'member')).token }, 'Games');
    const mod = await sdk({ token: (await account(f.server, f.admin, 'mod', 'moderator')).token }, 'Games');
    const gina = await sdk({ name: 'gina' }, 'Games');
    const atMod = hear(mod);
    const atGina = hear(gina);
    const atAlice = hear(alice);

    await f.server.services.channels.setOverride(f.admin.actor, games, 'member', 0, Perm.Speak);

    const before = drops().no_speak_permission;
    speak(alice, 25);
    await waitFor(() => drops().no_speak_permission === before + 25, 'alice’s 25 frames dropped');
    // Speakers with the right are heard, alice included (she may still listen).
    speak(gina, 10, 100);
    speak(mod, 10, 200);
    await waitFor(() => atAlice.length === 20, 'alice hears gina and the moderator');
    await waitFor(
      () => atMod.length === 10 && atGina.length === 10,
      'gina and the moderator hear each other',
    );
    expect(atMod.every((p) => p.ssrc === gina.sessionId)).toBe(true);
    expect(atGina.every((p) => p.ssrc === mod.sessionId)).toBe(true);

    // Lifted: the hub recomputes "may speak" at once; alice never rejoined.
    await f.server.services.channels.setOverride(f.admin.actor, games, 'member', 0, 0);
    speak(alice, 10, 300);
    await waitFor(() => atMod.length === 20 && atGina.length === 20, 'alice heard by both');
    expect(atGina.filter((p) => p.ssrc === alice.sessionId).map((p) => p.index)).toEqual(
      Array.from({ length: 10 }, (_, i) => 300 + i),
    );
    expect(drops().no_speak_permission).toBe(before + 25);
  });

  it('an override on a parent channel applies to its children (inherited), the child may re-allow', async () => {
    const lobby = f.server.hub.findChannel('Lobby')!.id;
    const sub = await f.server.services.channels.create(f.admin.actor, { name: 'Quiet', parentId: lobby });
    const alice = await sdk({ name: 'alice' }, 'Quiet');
    const bob = await sdk({ name: 'bob' }, 'Quiet');
    const atBob = hear(bob);
    await f.server.services.channels.setOverride(f.admin.actor, lobby, 'guest', 0, Perm.Speak);
    const before = drops().no_speak_permission;
    speak(alice, 5);
    await waitFor(() => drops().no_speak_permission === before + 5, 'inherited deny');
    await f.server.services.channels.setOverride(f.admin.actor, sub.id, 'guest', Perm.Speak, 0);
    speak(alice, 5, 10);
    await waitFor(() => atBob.length === 5, 'bob hears alice once Quiet re-allows');
  });
});
