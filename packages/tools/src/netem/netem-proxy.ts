/**
 * A UDP impairment proxy ("netem" in user space) to put between a client
 * and a Parley server: each direction goes through its own NetworkModel
 * (loss, bursts, delay, jitter, reordering, duplication). Every client
 * address gets its own upstream socket, as behind a NAT. Loopback tests and
 * demos: `parley netem`, or `NetemProxy.open()` from a test.
 *
 * Bounded: at most `maxQueued` packets wait in the delay line (overflow is
 * dropped and counted) and at most `maxClients` client addresses are mapped.
 */
import { createSocket, type Socket } from 'node:dgram';
import { NetworkModel, type NetworkModelOptions } from './network-model.js';

export interface NetemProxyOptions {
  /** The server's UDP voice endpoint. */
  target: { host: string; port: number };
  /** Where the proxy listens (default 127.0.0.1, any free port). */
  listen?: { host?: string; port?: number };
  /** Client → server impairment. */
  up?: NetworkModelOptions;
  /** Server → client impairment. */
  down?: NetworkModelOptions;
  maxQueued?: number;
  maxClients?: number;
}

export interface DirectionStats {
  received: number;
  dropped: number;
  /** Copies sent (duplicates included). */
  sent: number;
  duplicated: number;
  reordered: number;
  /** Dropped because the delay line was full. */
  overflow: number;
}

const newStats = (): DirectionStats => ({
  received: 0,
  dropped: 0,
  sent: 0,
  duplicated: 0,
  reordered: 0,
  overflow: 0,
});

interface Pending {
  due: number;
  data: Uint8Array;
  via: Socket;
  port: number;
  address: string;
  dir: DirectionStats;
}

interface ClientLink {
  /** The socket towards the server: its port is this client's address as the server sees it. */
  upstream: Socket;
  address: string;
  port: number;
}

/** A binary min-heap of pending packets by due time (stable for equal times by insertion). */
class DelayLine {
  private readonly heap: { p: Pending; n: number }[] = [];
  private counter = 0;

  get size(): number {
    return this.heap.length;
  }

  peek(): Pending | undefined {
    return this.heap[0]?.p;
  }

  push(p: Pending): void {
    const h = this.heap;
    h.push({ p, n: this.counter++ });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): Pending | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) return undefined;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top.p;
  }

  clear(): void {
    this.heap.length = 0;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    if (x === undefined || y === undefined) return false;
    return x.p.due < y.p.due || (x.p.due === y.p.due && x.n < y.n);
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const t = h[a];
    const u = h[b];
    if (t === undefined || u === undefined) return;
    h[a] = u;
    h[b] = t;
  }
}

export class NetemProxy {
  readonly up: DirectionStats = newStats();
  readonly down: DirectionStats = newStats();
  private readonly clients = new Map<string, ClientLink>();
  private readonly line = new DelayLine();
  private timer: NodeJS.Timeout | null = null;
  private timerDue = Infinity;
  private closed = false;
  /** Upstream sockets closed by `rebind`: packets still queued for them are dropped. */
  private readonly retired = new WeakSet<Socket>();
  private readonly upModel: NetworkModel;
  private readonly downModel: NetworkModel;
  private readonly maxQueued: number;
  private readonly maxClients: number;

  private constructor(
    private readonly socket: Socket,
    private readonly opts: NetemProxyOptions,
  ) {
    this.upModel = new NetworkModel(opts.up);
    this.downModel = new NetworkModel(opts.down);
    this.maxQueued = opts.maxQueued ?? 10_000;
    this.maxClients = opts.maxClients ?? 1_000;
  }

  /** Binds the proxy; resolves once it listens. */
  static async open(opts: NetemProxyOptions): Promise<NetemProxy> {
    const host = opts.listen?.host ?? '127.0.0.1';
    const socket = createSocket({
      type: host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: 4 << 20,
      sendBufferSize: 4 << 20,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.listen?.port ?? 0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const proxy = new NetemProxy(socket, opts);
    socket.on('message', (msg, rinfo) => proxy.fromClient(msg, rinfo.address, rinfo.port));
    socket.on('error', () => undefined);
    return proxy;
  }

  /** Where clients should send: the proxy's own address. */
  get address(): { host: string; port: number } {
    const a = this.socket.address();
    return { host: a.address, port: a.port };
  }

  private fromClient(msg: Uint8Array, address: string, port: number): void {
    const key = `${address}|${port}`;
    let link = this.clients.get(key);
    if (link === undefined) {
      if (this.clients.size >= this.maxClients) {
        this.up.overflow++;
        return;
      }
      link = { upstream: this.socket, address, port };
      link.upstream = this.upstreamFor(link);
      this.clients.set(key, link);
    }
    this.impair(msg, this.upModel, this.up, link.upstream, this.opts.target.port, this.opts.target.host);
  }

  /** A new socket towards the server for `link`, whose answers go back to its client. */
  private upstreamFor(link: ClientLink): Socket {
    const upstream = createSocket({
      type: this.opts.target.host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: 1 << 20,
    });
    upstream.on('message', (m) =>
      this.impair(m, this.downModel, this.down, this.socket, link.port, link.address),
    );
    upstream.on('error', () => undefined);
    return upstream;
  }

  /**
   * Gives every client a new socket towards the server, so the server sees
   * it at a new port, as when a NAT rebinds (its mapping expired, or the
   * device changed network). What was in the delay line for the old sockets
   * is lost with them (counted `dropped`). Returns how many clients moved.
   */
  rebind(): number {
    if (this.closed) return 0;
    for (const link of this.clients.values()) {
      const old = link.upstream;
      this.retired.add(old);
      link.upstream = this.upstreamFor(link);
      old.close();
    }
    return this.clients.size;
  }

  private impair(
    msg: Uint8Array,
    model: NetworkModel,
    dir: DirectionStats,
    via: Socket,
    port: number,
    address: string,
  ): void {
    if (this.closed) return;
    dir.received++;
    const fate = model.next();
    if (fate.drop) {
      dir.dropped++;
      return;
    }
    if (fate.reordered) dir.reordered++;
    if (fate.delaysMs.length > 1) dir.duplicated += fate.delaysMs.length - 1;
    const now = performance.now();
    for (const d of fate.delaysMs) {
      if (d <= 0 && this.line.size === 0) {
        this.sendVia(via, msg, port, address, dir);
        continue;
      }
      if (this.line.size >= this.maxQueued) {
        dir.overflow++;
        continue;
      }
      this.line.push({ due: now + d, data: msg, via, port, address, dir });
    }
    this.arm();
  }

  private arm(): void {
    const next = this.line.peek();
    if (next === undefined || this.closed) return;
    if (this.timer !== null && this.timerDue <= next.due) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerDue = next.due;
    this.timer = setTimeout(() => this.flush(), Math.max(0, next.due - performance.now()));
  }

  private flush(): void {
    this.timer = null;
    this.timerDue = Infinity;
    const now = performance.now();
    for (let p = this.line.peek(); p !== undefined && p.due <= now + 0.5; p = this.line.peek()) {
      this.line.pop();
      this.sendVia(p.via, p.data, p.port, p.address, p.dir);
    }
    this.arm();
  }

  private sendVia(via: Socket, data: Uint8Array, port: number, address: string, dir: DirectionStats): void {
    if (this.retired.has(via)) {
      dir.dropped++;
      return;
    }
    via.send(data, port, address);
    dir.sent++;
  }

  /** Stops forwarding and closes every socket; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.line.clear();
    const sockets = [this.socket, ...[...this.clients.values()].map((c) => c.upstream)];
    this.clients.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
