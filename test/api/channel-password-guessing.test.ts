/**
 * Channel password guessing is limited and cheap for the server (issue 10,
 * item 6): checks per client address and wrong passwords per channel are
 * rate-limited (PARLEY_ERR_TOO_MANY_ATTEMPTS, before any hashing), and every
 * password hash / verification of the server runs in a bounded pool
 * (PARLEY_ERR_BUSY beyond its queue) where logins go first. Asserted by
 * counting, through an injected hash function; real guest WebSockets; on
 * SQLite and PostgreSQL. The last test measures a login's latency while ten
 * sockets guess and prints it (docs/security.md has the figures).
 */
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ErrorCode } from '@parley/protocol';
import type { ConfigOverrides } from '@parley/server';
import { ARGON2, type PasswordHashing } from '../../packages/server/src/services/password-work.js';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { adminToken, call } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'the real one 123';

/** The real argon2id, counting calls and how many ran at once. */
function countingHashing(): PasswordHashing & { verifies: number; peak: number } {
  let running = 0;
  const counted = async <T>(fn: () => Promise<T>): Promise<T> => {
    running += 1;
    h.peak = Math.max(h.peak, running);
    try {
      return await fn();
    } finally {
      running -= 1;
    }
  };
  const h = {
    verifies: 0,
    peak: 0,
    hash: (pw: string) => counted(() => ARGON2.hash(pw)),
    verify: (stored: string, pw: string) => {
      h.verifies += 1;
      return counted(() => ARGON2.verify(stored, pw));
    },
  };
  return h;
}

/** A guest WebSocket from `ip` (X-Forwarded-For; the server trusts the proxy) that answers requests in order. */
class Guest {
  private n = 0;
  readonly messages: Record<string, unknown>[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) =>
      this.messages.push(JSON.parse(d.toString('utf8')) as Record<string, unknown>),
    );
  }

  static async open(url: string, ip: string, name: string): Promise<Guest> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers: { 'x-forwarded-for': ip } });
    await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const g = new Guest(ws);
    expect((await g.request({ type: 'hello', v: 1, name })).type).toBe('welcome');
    return g;
  }

  async request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    const ref = `r${++this.n}`;
    this.ws.send(JSON.stringify({ ...msg, ref }));
    await waitFor(() => this.messages.some((m) => m.ref === ref), `answer to ${String(msg.type)}`);
    return this.messages.find((m) => m.ref === ref)!;
  }

  /** `join` with a password: the answer's type or error code. */
  async guess(channel: string, password: string): Promise<string> {
    const a = await this.request({ type: 'join', channel, password });
    return a.type === 'error' ? String(a.code) : String(a.type);
  }
}

function tally(answers: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) out[a] = (out[a] ?? 0) + 1;
  return out;
}

describeEachDatabase('channel password guessing', (target) => {
  let t: TestServer | undefined;
  const guests: Guest[] = [];

  async function start(auth: ConfigOverrides['auth'], hashing: PasswordHashing): Promise<TestServer> {
    t = await startServer(
      {
        ...(await target.makeOptions()),
        trustProxy: true,
        // The latency measurement logs the admin in many times: no per-account limit either.
        auth: { loginPerMinute: 100_000, loginPerAccountPerMinute: 100_000, ...auth },
        limits: { controlMessagesPerSecond: 1000 },
      },
      { passwordHashing: hashing },
    );
    const res = await call(t.info.url, 'POST', '/api/v1/channels', {
      token: await adminToken(t.server),
      body: { name: 'Safe', password: SECRET },
    });
    expect(res.status, res.text).toBe(201);
    return t;
  }
  async function guests10(url: string, ip: (i: number) => string): Promise<Guest[]> {
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => Guest.open(url, ip(i), `g${i}`)));
    guests.push(...out);
    return out;
  }

  afterEach(async () => {
    for (const g of guests.splice(0)) g.ws.close();
    await t?.close();
    t = undefined;
  });

  it('per address: ten sockets from one address get channelPasswordPerMinute checks, then PARLEY_ERR_TOO_MANY_ATTEMPTS with no hashing', async () => {
    const h = countingHashing();
    const s = await start({ channelPasswordPerMinute: 5, channelPasswordFailuresPerMinute: 1000 }, h);
    const before = h.verifies;
    const gs = await guests10(s.info.url, () => '10.9.0.1');
    const answers = (
      await Promise.all(
        gs.map(async (g) => [
          await g.guess('Safe', 'a'),
          await g.guess('Safe', 'b'),
          await g.guess('Safe', 'c'),
        ]),
      )
    ).flat();
    expect(tally(answers)).toEqual({
      [ErrorCode.ChannelPassword]: 5,
      [ErrorCode.TooManyAttempts]: 25,
    });
    expect(h.verifies - before).toBe(5);
    // The right password from that address waits too; from another address it opens.
    expect(await gs[0]!.guess('Safe', SECRET)).toBe(ErrorCode.TooManyAttempts);
    const other = await Guest.open(s.info.url, '10.9.0.2', 'elsewhere');
    guests.push(other);
    expect(await other.guess('Safe', SECRET)).toBe('joined');
    // REST chat reads with a password header count as guesses too.
    const rest = await call(
      s.info.url,
      'GET',
      `/api/v1/channels/${s.server.hub.findChannel('Safe')!.id}/messages`,
      {
        headers: { 'x-forwarded-for': '10.9.0.1', 'parley-channel-password': SECRET },
      },
    );
    expect(rest.status).toBe(429);
    expect((rest.body as { code: string }).code).toBe(ErrorCode.TooManyAttempts);
  });

  it('per channel: wrong passwords from many addresses stop at channelPasswordFailuresPerMinute; right ones do not count', async () => {
    const h = countingHashing();
    const s = await start({ channelPasswordPerMinute: 1000, channelPasswordFailuresPerMinute: 4 }, h);
    const gs = await guests10(s.info.url, (i) => `10.9.1.${i + 1}`);
    // Right passwords first: they do not use the channel's allowance.
    for (const g of gs.slice(0, 6)) expect(await g.guess('Safe', SECRET)).toBe('joined');
    const before = h.verifies;
    const answers = await Promise.all(gs.map((g) => g.guess('Safe', 'wrong')));
    // The six inside are already in (no check); four wrong guesses are checked, the rest refused unhashed.
    expect(tally(answers.slice(6))).toEqual({ [ErrorCode.ChannelPassword]: 4 });
    const more = await Promise.all(gs.slice(6).map((g) => g.guess('Safe', 'still wrong')));
    expect(tally(more)).toEqual({ [ErrorCode.TooManyAttempts]: 4 });
    expect(h.verifies - before).toBe(4);
    // One channel tracked; the limit is the channel's, not the addresses'.
    expect(s.server.services.channels.guard.stats).toMatchObject({ channels: 1, addresses: 10 });
  });

  it('in flight: at most passwordHashConcurrency hashes at once (channels leave one to logins); beyond the queue PARLEY_ERR_BUSY; a login still gets through', async () => {
    const h = countingHashing();
    const s = await start(
      {
        channelPasswordPerMinute: 1000,
        channelPasswordFailuresPerMinute: 1000,
        passwordHashConcurrency: 2,
        passwordHashQueue: 3,
      },
      h,
    );
    h.peak = 0;
    const gs = await guests10(s.info.url, (i) => `10.9.2.${i + 1}`);
    const flood = Promise.all(
      gs.map(async (g) => [
        await g.guess('Safe', 'x'),
        await g.guess('Safe', 'y'),
        await g.guess('Safe', 'z'),
      ]),
    );
    const login = await call(s.info.url, 'POST', '/api/v1/auth/login', {
      body: { name: 'admin', password: TEST_ADMIN_PASSWORD },
    });
    expect(login.status, login.text).toBe(200);
    const answers = tally((await flood).flat());
    expect(answers[ErrorCode.Busy]).toBeGreaterThan(0);
    expect((answers[ErrorCode.ChannelPassword] ?? 0) + (answers[ErrorCode.Busy] ?? 0)).toBe(30);
    expect(h.peak).toBeLessThanOrEqual(2);
    const stats = s.server.services.ctx.passwords.stats;
    expect(stats.peakRunning).toBeLessThanOrEqual(2);
    expect(stats.busy.channel).toBe(answers[ErrorCode.Busy]);
    expect(stats.busy.account).toBe(0);
  });

  it('measure: login latency while ten sockets guess (printed, not asserted)', async () => {
    const measure = async (label: string, auth: ConfigOverrides['auth']): Promise<void> => {
      const s = await start(auth, ARGON2);
      // Nine logins per server: under the per-account login limit (10 a minute).
      const idle = await loginTimes(s, 3);
      const gs = await guests10(s.info.url, () => '10.9.3.1');
      let stop = false;
      let guesses = 0;
      const loops = gs.map(async (g) => {
        while (!stop) {
          await g.guess('Safe', 'nope');
          guesses += 1;
        }
      });
      const started = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      const busy = await loginTimes(s, 6);
      stop = true;
      await Promise.all(loops);
      const secs = (Date.now() - started) / 1000;
      console.log(
        `[${target.name}] ${label}: login median ${median(busy).toFixed(0)} ms while ~${Math.round(guesses / secs)} guesses/s were answered (idle: ${median(idle).toFixed(0)} ms)`,
      );
      for (const g of guests.splice(0)) g.ws.close();
      await s.close();
      t = undefined;
    };
    await measure('unlimited (as before)', {
      channelPasswordPerMinute: 1_000_000,
      channelPasswordFailuresPerMinute: 1_000_000,
      passwordHashConcurrency: 64,
      passwordHashQueue: 10_000,
    });
    await measure('defaults', {});
    await measure('hash pool only (no rate limit)', {
      channelPasswordPerMinute: 1_000_000,
      channelPasswordFailuresPerMinute: 1_000_000,
    });
  }, 60_000);
});

async function loginTimes(s: TestServer, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await call(s.info.url, 'POST', '/api/v1/auth/login', {
      body: { name: 'admin', password: TEST_ADMIN_PASSWORD },
    });
    out.push(performance.now() - t0);
    expect(r.status).toBe(200);
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}
