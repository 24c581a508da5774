/** A datagram-like path for sealed media packets (UDP, or the control WebSocket). */
export interface MediaTransport {
  readonly kind: 'udp' | 'ws';
  send(packet: Uint8Array): void;
  /** Registers the single receiver of incoming packets. */
  onPacket(fn: (packet: Uint8Array) => void): void;
  close(): void;
}

/** Opens a UDP path to the server's voice port (provided by the Node entry). */
export type UdpTransportFactory = (host: string, port: number) => Promise<MediaTransport>;
