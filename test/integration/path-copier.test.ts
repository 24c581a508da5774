/**
 * The on-path attack on a session's UDP path (docs/security.md, "Media
 * plane"; docs/protocol.md, "Keepalive and NAT rebinding"), against a real
 * server over real UDP sockets. The client's packets cross a `CopyingPath`:
 * an attacker there sends a copy of each keepalive HELLO from its own
 * socket B ahead of the genuine one, passes the challenge it gets at B on to
 * the client, and sends the copy of the client's cookie echo from B first
 * too. The session moves to B, and back to the client's address A when the
 * genuine echo arrives from there; an attacker that withholds the echo
 * loses the session to the client's next audio packet.
 */
import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { HELLO_ACK_VALIDATE, PacketType, parsePacket } from '@parley/protocol';
import { type RoamerPath, useRoamingCall } from '../helpers/roaming-call.js';
import { waitFor } from '../helpers/wait.js';

const KEEPALIVE_MS = 200;

/** A datagram's packet type, and whether it is a challenge (a HELLO_ACK with VALIDATE). */
function kindOf(m: Uint8Array): PacketType | 'challenge' | null {
  const v = parsePacket(m);
  if (!v.ok) return null;
  const { type, flags } = v.value.header;
  return type === PacketType.HelloAck && (flags & HELLO_ACK_VALIDATE) !== 0 ? 'challenge' : type;
}

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/**
 * A client's path to the server, watched by an attacker. The client sends to
 * `front`; its packets go on to the server from `wire` (the client's address
 * A as the server sees it), and what reaches A comes back to it. Once
 * `attacking`, each HELLO of the client goes first from `evil` (address B),
 * then (unless it is a cookie echo and `withholdEcho`) from A; a challenge
 * that reaches B is passed on to the client, and its next HELLO is taken
 * for the echo. Audio that reaches B is counted, not passed on.
 */
class CopyingPath implements RoamerPath {
  attacking = false;
  withholdEcho = false;
  /** Audio packets the server sent to B. */
  audioAtB = 0;
  private client: { address: string; port: number } | null = null;
  private echoDue = false;
  private closed = false;

  private constructor(
    readonly front: Socket,
    readonly wire: Socket,
    readonly evil: Socket,
    private readonly server: number,
  ) {
    front.on('message', (m, from) => this.up(m, from));
    wire.on('message', (m) => this.down(m));
    evil.on('message', (m) => {
      const kind = kindOf(m);
      if (kind === PacketType.Audio) this.audioAtB++;
      else if (kind === 'challenge' && this.attacking) {
        this.echoDue = true;
        this.down(m);
      }
    });
  }

  static async open(serverPort: number): Promise<CopyingPath> {
    return new CopyingPath(await bound(), await bound(), await bound(), serverPort);
  }

  get clientPort(): number {
    return this.front.address().port;
  }

  /** A and B, as the server sees them. */
  get ports(): { A: number; B: number } {
    return { A: this.wire.address().port, B: this.evil.address().port };
  }

  close(): void {
    this.closed = true;
    for (const s of [this.front, this.wire, this.evil]) s.close();
  }

  private up(m: Buffer, from: { address: string; port: number }): void {
    this.client = { address: from.address, port: from.port };
    if (!this.attacking || kindOf(m) !== PacketType.Hello) {
      this.wire.send(m, this.server, '127.0.0.1');
      return;
    }
    const echo = this.echoDue;
    this.echoDue = false;
    // The copy is in the server's queue before the genuine packet is sent.
    this.evil.send(m, this.server, '127.0.0.1', () => {
      if (!this.closed && !(echo && this.withholdEcho)) this.wire.send(m, this.server, '127.0.0.1');
    });
  }

  private down(m: Buffer): void {
    if (this.client !== null) this.front.send(m, this.client.port, this.client.address);
  }
}

describe('an on-path copier racing the keepalive and its cookie echo', () => {
  const call = useRoamingCall((port) => CopyingPath.open(port), KEEPALIVE_MS);
  const validation = () => ({ ...call.t.server.plane.stats.validation });
  const binding = () => call.t.server.plane.router.session(call.roamer.sessionId)!.udp;

  /** Attacks until `rounds` moves are undone as `undone` says, then stops; resolves with the moves once each is undone. */
  const attack = async (rounds: number, undone: 'reverted' | 'reverted_by_copy'): Promise<number> => {
    const v0 = validation();
    call.path.attacking = true;
    await waitFor(
      () => validation()[undone] - v0[undone] >= rounds,
      () => `${rounds} moves undone (${undone}: ${JSON.stringify(validation())})`,
    );
    call.path.attacking = false;
    const moves = (): number => validation().validated - v0.validated;
    const backs = (): number =>
      validation().reverted - v0.reverted + validation().reverted_by_copy - v0.reverted_by_copy;
    await waitFor(
      () => backs() === moves(),
      () => `each move undone (${moves()} moves, ${backs()} back)`,
    );
    return moves();
  };

  it('the genuine echo from A takes the session back at once: the roamer, silent, keeps hearing', async () => {
    const { heardByRoamer: heard } = call.talk(false);
    await waitFor(() => heard.length >= 10, 'the roamer hears the peer');
    const moves = await attack(3, 'reverted_by_copy');
    expect(moves).toBeGreaterThanOrEqual(3);
    expect(binding()).toMatchObject({ kind: 'bound', port: call.path.ports.A, previous: null });
    // The roamer answered the challenges passed on to it; B got next to nothing.
    expect(call.roamer.stats.pathChallenges).toBeGreaterThanOrEqual(3);
    expect(call.path.audioAtB).toBeLessThanOrEqual(2 * moves);
    const h0 = heard.length;
    await waitFor(() => heard.length >= h0 + 20, 'the roamer still hears the peer');
  });

  it('with the echo withheld, the roamer’s next audio packet from A takes the session back', async () => {
    const { heardByRoamer: heard } = call.talk(true);
    await waitFor(() => heard.length >= 10, 'the roamer hears the peer');
    call.path.withholdEcho = true;
    const moves = await attack(3, 'reverted');
    expect(moves).toBeGreaterThanOrEqual(3);
    expect(binding()).toMatchObject({ kind: 'bound', port: call.path.ports.A, previous: null });
    expect(call.path.audioAtB).toBeLessThanOrEqual(4 * moves);
    const h0 = heard.length;
    await waitFor(() => heard.length >= h0 + 20, 'the roamer still hears the peer');
  });
});
