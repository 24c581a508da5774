import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetemProxy, runCli, runLoadTest, LoadTestOptionError, type LoadReport } from '@parley/tools';
import { startServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `runLoadTest` / `parley loadtest` against a real server (in this process,
 * real sockets). Assertions are on counts — what the participants sent and
 * received against what the server counted — never on timing, except that
 * the figures exist and are positive.
 */

const CLIENTS = 24;
const CHANNELS = 4;
const SPEAKERS = 2;
const SECONDS = 3;
const MEMBERS = CLIENTS / CHANNELS;
const RUN_TIMEOUT = 90_000;

type CliIo = Parameters<typeof runCli>[1];

/** Streams that collect what the CLI writes. */
function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const io = {
    out: { write: (s: string) => ((out += s), true) },
    err: { write: (s: string) => ((err += s), true) },
  } as unknown as CliIo;
  return { io, out: () => out, err: () => err };
}

/** What every small run must show, whatever the transport. */
function expectCleanRun(r: LoadReport): void {
  expect(r.participants).toMatchObject({ joined: CLIENTS, failed: 0, speakers: CHANNELS * SPEAKERS });
  expect(r.participants.ciphers).toEqual({ 'chacha20-poly1305': CLIENTS });
  // Each speaker sends one frame per 20 ms of the window (fewer only if the clock had to skip).
  // The generator's clock ticks 4 times a frame, each tick for a quarter of the speakers
  // (packages/tools/src/loadtest/phases/window.ts, SLOTS): a skipped tick costs that many frames.
  const perSpeaker = (SECONDS * 1000) / 20;
  const speakersPerTick = Math.ceil((CHANNELS * SPEAKERS) / 4);
  expect(r.packets.audioSent).toBeLessThanOrEqual(CHANNELS * SPEAKERS * perSpeaker);
  expect(r.packets.audioSent).toBeGreaterThanOrEqual(
    CHANNELS * SPEAKERS * perSpeaker - r.window.clockSkippedTicks * speakersPerTick,
  );
  // Every frame reaches the other members of its channel, once.
  expect(r.loss.expected).toBe(r.packets.audioSent * (MEMBERS - 1));
  expect(r.loss).toMatchObject({ lost: 0, percent: 0, duplicates: 0, authFailed: 0, lostInSeqRange: 0 });
  expect(r.loss.received).toBe(r.loss.expected);
  expect(r.loss.perParticipant).toEqual({ min: 1, max: 1 });
  expect(r.packets.audioReceived).toBe(r.loss.expected);
  // One (listener, speaker) stream per speaker of the channel but oneself.
  expect(r.jitterMs.streams).toBe(CHANNELS * (MEMBERS * SPEAKERS - SPEAKERS));
  // One ping per participant per second, all answered.
  expect(r.packets.pingsSent).toBeLessThanOrEqual(CLIENTS * SECONDS);
  expect(r.packets.pingsSent).toBeGreaterThanOrEqual(CLIENTS * SECONDS - r.window.clockSkippedTicks);
  expect(r.packets.pongsReceived).toBe(r.packets.pingsSent);
  expect(r.rttMs.samples).toBe(r.packets.pingsSent);
  expect(r.rttMs.p50).toBeGreaterThan(0);
  expect(r.rttMs.p99).toBeGreaterThanOrEqual(r.rttMs.p50);
  expect(r.latencyMs.samples).toBe(r.loss.received);

  // The server's own counters over the same window agree with the participants'.
  const s = r.server;
  const c = r.crossCheck;
  expect(s).not.toBeNull();
  expect(c).not.toBeNull();
  if (s === null || c === null) return;
  expect(s.audioIn).toBe(r.packets.audioSent);
  expect(Math.abs(c.inDifference)).toBeLessThanOrEqual(2);
  expect(c.clientSent).toBe(r.packets.sent);
  expect(Math.abs(c.outDifference)).toBeLessThanOrEqual(2);
  expect(s.packetsOut).toBeGreaterThanOrEqual(r.loss.expected + r.packets.pongsReceived);
  expect(s.dropped).toBe(0);
  expect(s.forwardUs.count).toBe(s.audioIn);
  expect(s.forwardUs.p50Us).toBeGreaterThan(0);
  expect(s.forwardUs.p99Us).toBeGreaterThanOrEqual(s.forwardUs.p50Us);
  expect(s.forwardUs.buckets.reduce((n, b) => n + b.count, 0)).toBe(s.forwardUs.count);
  expect(s.cpuPercent).toBeGreaterThan(0);
  expect(s.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
  expect(r.serverSkipped).toBeNull();
}

describe('load test (runLoadTest, parley loadtest)', () => {
  let t: TestServer;
  let token: string;

  beforeAll(async () => {
    t = await startServer();
    token = (await t.server.services.auth.login('admin', TEST_ADMIN_PASSWORD, null)).token;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Every participant left: no media session, no temporary channel left behind. */
  async function expectCleanedUp(): Promise<void> {
    await waitFor(() => t.server.plane.sessionCount === 0, 'every load-test session to end');
    await waitFor(
      () => !t.server.hub.channelInfos().some((ch) => ch.name.startsWith('lt-')),
      'the temporary channels to be deleted',
    );
  }

  it(
    'UDP: every frame reaches every listener, and the counts match the server’s metrics',
    async () => {
      const phases = new Set<string>();
      const r = await runLoadTest(
        {
          server: t.info.url,
          clients: CLIENTS,
          channels: CHANNELS,
          speakersPerChannel: SPEAKERS,
          seconds: SECONDS,
          transport: 'udp',
          adminPassword: TEST_ADMIN_PASSWORD,
        },
        { onProgress: (p) => phases.add(p.phase) },
      );
      expect(r.options.transport).toBe('udp');
      expectCleanRun(r);
      // UDP: the HELLO handshakes are done before the window opens.
      expect(r.packets.sent).toBe(r.packets.audioSent + r.packets.pingsSent);
      expect(r.timeline.length).toBeGreaterThanOrEqual(SECONDS - 1);
      expect([...phases]).toEqual(['joining', 'measuring', 'draining', 'closing']);
      await expectCleanedUp();
    },
    RUN_TIMEOUT,
  );

  it(
    'WebSocket media: the same run, the same agreement',
    async () => {
      const r = await runLoadTest({
        server: t.info.url,
        clients: CLIENTS,
        channels: CHANNELS,
        speakersPerChannel: SPEAKERS,
        seconds: SECONDS,
        transport: 'ws',
        token,
      });
      expect(r.options.transport).toBe('ws');
      expect(r.packets.helloAcksReceived).toBe(0);
      expectCleanRun(r);
      await expectCleanedUp();
    },
    RUN_TIMEOUT,
  );

  it(
    'through an impairment proxy losing 5 % upstream, the reported loss is ≈ 5 %',
    async () => {
      const proxy = await NetemProxy.open({
        target: { host: '127.0.0.1', port: t.info.udpPort },
        up: { loss: 0.05, seed: 7 },
      });
      try {
        const r = await runLoadTest({
          server: t.info.url,
          clients: CLIENTS,
          channels: CHANNELS,
          speakersPerChannel: SPEAKERS,
          seconds: SECONDS,
          udpTarget: proxy.address,
          token,
        });
        expect(r.participants.joined).toBe(CLIENTS);
        expect(r.options.udpVia).toBe(`${proxy.address.host}:${proxy.address.port}`);
        expect(r.loss.percent).toBeGreaterThan(3);
        expect(r.loss.percent).toBeLessThan(7);
        // A frame lost on the way in is lost for every listener of its channel.
        expect(r.loss.lost % (MEMBERS - 1)).toBe(0);
        // The server saw what the proxy let through: the difference is the proxy's doing.
        const c = r.crossCheck;
        expect(c).not.toBeNull();
        if (c === null || r.server === null) return;
        expect(c.inDifference).toBeGreaterThan(0);
        expect(c.inDifference).toBeLessThanOrEqual(proxy.up.dropped);
        expect(r.server.audioIn).toBe(r.packets.audioSent - r.loss.lost / (MEMBERS - 1));
        expect(Math.abs(c.outDifference)).toBeLessThanOrEqual(2);
      } finally {
        await proxy.close();
      }
      await expectCleanedUp();
    },
    RUN_TIMEOUT,
  );

  it(
    'parley loadtest --json prints one JSON object and nothing else; --html writes a self-contained page',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-loadtest-'));
      const html = join(dir, 'report.html');
      const cap = capture();
      const code = await runCli(
        [
          'loadtest',
          '--server',
          t.info.url,
          '--clients',
          '6',
          '--channels',
          '2',
          '--seconds',
          '2',
          '--json',
          '--html',
          html,
        ],
        cap.io,
        { PARLEY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
      );
      const out = cap.out();
      expect(cap.err()).not.toMatch(/parley: (?!loadtest)/);
      expect(code).toBe(0);
      expect(out.endsWith('}\n')).toBe(true);
      expect(out.trim().split('\n')).toHaveLength(1);
      const r = JSON.parse(out) as LoadReport;
      expect(r.version).toBe(1);
      expect(r.options).toMatchObject({ clients: 6, channels: 2, speakersPerChannel: 1, seconds: 2 });
      for (const k of ['p50', 'p95', 'p99'] as const) {
        expect(typeof r.jitterMs[k]).toBe('number');
        expect(typeof r.rttMs[k]).toBe('number');
      }
      expect(r.loss.percent).toBe(0);
      expect(r.packets.sentPerSecond).toBeGreaterThan(0);
      expect(r.packets.receivedPerSecond).toBeGreaterThan(0);
      expect(r.server?.forwardUs.p99Us).toBeGreaterThan(0);
      expect(r.server?.packetsInPerSecond).toBeGreaterThan(0);
      expect(r.server?.packetsOutPerSecond).toBeGreaterThan(0);
      expect(r.server?.cpuPercent).toBeGreaterThan(0);
      expect(r.server?.rssBytes).toBeGreaterThan(0);
      expect(r.crossCheck).not.toBeNull();
      const page = readFileSync(html, 'utf8');
      expect(page).toMatch(/^<!doctype html>/);
      expect(page.match(/<svg /g)?.length).toBeGreaterThanOrEqual(4);
      expect(page).toContain('Packets per second');
      expect(page).toContain('Server forwarding time');
      // Self-contained: no script, no external stylesheet, image or font.
      expect(page).not.toMatch(/<script|<link|<img|src=|href=|@import|url\(/i);
      await expectCleanedUp();
    },
    RUN_TIMEOUT,
  );

  it(
    'without a token the server figures are skipped, and the report says so',
    async () => {
      const r = await runLoadTest({
        server: t.info.url,
        clients: 2,
        channels: 1,
        speakersPerChannel: 1,
        seconds: 1,
      });
      expect(r.server).toBeNull();
      expect(r.crossCheck).toBeNull();
      expect(r.serverSkipped).toMatch(/no admin token/);
      expect(r.loss.expected).toBe(r.packets.audioSent);
      await expectCleanedUp();
    },
    RUN_TIMEOUT,
  );

  it('refuses absurd or inconsistent options: exit 2 from the CLI, LoadTestOptionError from the library', async () => {
    const bad = [
      ['--clients', '0'],
      ['--clients', '100001'],
      ['--clients', 'many'],
      ['--seconds', '0'],
      ['--seconds', '99999'],
      ['--clients', '4', '--channels', '5'],
      ['--clients', '10', '--channels', '5', '--speakers-per-channel', '3'],
      ['--transport', 'tcp'],
      ['--udp-via', 'nohost'],
      ['--ramp', '-1'],
      ['--bogus'],
      ['--server', 'not a url'],
    ];
    for (const args of bad) {
      const cap = capture();
      const code = await runCli(['loadtest', '--server', t.info.url, ...args], cap.io, {});
      expect(code, args.join(' ')).toBe(2);
      expect(cap.err()).toMatch(/^parley: /);
      expect(cap.err()).toContain('Usage:');
      expect(cap.out()).toBe('');
    }
    await expect(
      runLoadTest({ server: t.info.url, clients: 5, channels: 1, speakersPerChannel: 1, seconds: 4000 }),
    ).rejects.toBeInstanceOf(LoadTestOptionError);
    // Nobody joined for any of these.
    expect(t.server.plane.sessionCount).toBe(0);
  });

  it('fails with a clear error when the token is not an admin’s, before anyone joins', async () => {
    const member = await t.server.services.auth.register('lt-member', 'member-password', null);
    await expect(
      runLoadTest({
        server: t.info.url,
        clients: 2,
        channels: 1,
        speakersPerChannel: 1,
        seconds: 1,
        token: member.token,
      }),
    ).rejects.toThrow(/403.*not an admin/);
    expect(t.server.plane.sessionCount).toBe(0);
  });
});

describe('parley loadtest against a server that admits few new guests', () => {
  let t: TestServer;
  beforeAll(async () => {
    // Two new guests a second, a burst of four: 12 participants must wait their turn.
    t = await startServer({ limits: { guestsPerSecond: 2 } });
  });
  afterAll(async () => {
    await t.close();
  });

  it(
    'participants refused with PARLEY_ERR_TOO_MANY_GUESTS say hello again later, and all join',
    async () => {
      const r = await runLoadTest({
        server: t.info.url,
        clients: 12,
        channels: 2,
        speakersPerChannel: 1,
        seconds: 1,
        rampSeconds: 0,
        adminPassword: TEST_ADMIN_PASSWORD,
      });
      expect(r.participants).toMatchObject({ joined: 12, failed: 0 });
      expect(r.participants.guestRetries).toBeGreaterThan(0);
      // The server refused exactly the hellos that were tried again.
      const stats = await t.server.app.inject({
        url: '/api/v1/stats',
        headers: {
          authorization: `Bearer ${(await t.server.services.auth.login('admin', TEST_ADMIN_PASSWORD, null)).token}`,
        },
      });
      const body = stats.json<{ control: { guestsRefusedServer: number } }>();
      expect(body.control.guestsRefusedServer).toBe(r.participants.guestRetries);
    },
    RUN_TIMEOUT,
  );
});
