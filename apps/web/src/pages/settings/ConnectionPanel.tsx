/** What the client measures on its link, refreshed every second: transport, cipher, RTT, loss, jitter, buffer, bitrates; and how its listeners hear it. */
import { useEffect, useState } from 'react';
import { useI18n } from '../../i18n';
import { useSession } from '../../voice/connection';
import { useEngine, useVoiceState } from '../../voice/hooks';
import type { LinkStats } from '../../voice/audio';

const dash = '—';

export function ConnectionPanel() {
  const { t } = useI18n();
  const session = useSession();
  const state = useVoiceState(session);
  const engine = useEngine(session);
  const [stats, setStats] = useState<LinkStats | null>(null);
  const [link, setLink] = useState(session?.linkInfo() ?? null);
  const [quality, setQuality] = useState(session?.quality() ?? null);
  const [controlRtt, setControlRtt] = useState<number | null>(null);
  useEffect(() => {
    if (session === null) return;
    let live = true;
    const ping = () =>
      session.controlRttMs().then(
        (ms) => live && setControlRtt(ms),
        () => live && setControlRtt(null),
      );
    void ping();
    const timer = setInterval(() => void ping(), 2000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [session]);
  useEffect(() => {
    const read = () => {
      setStats(engine?.stats() ?? null);
      setLink(session?.linkInfo() ?? null);
      setQuality(session?.quality() ?? null);
    };
    read();
    const timer = setInterval(read, 1000);
    return () => clearInterval(timer);
  }, [engine, session]);
  if (session === null || state.channelId === null) return <p className="muted">{t('stats.notConnected')}</p>;
  const n = (v: number | null | undefined, unit: string, digits = 0) =>
    v === null || v === undefined || !Number.isFinite(v) ? dash : `${v.toFixed(digits)} ${unit}`;
  const rows: [string, string][] = [
    [t('stats.session'), String(link?.ssrc ?? dash)],
    [t('stats.transport'), stats?.transport ?? link?.transport ?? dash],
    [t('stats.cipher'), stats?.cipher ?? link?.cipher ?? dash],
    [t('stats.encoder'), stats?.encoder ?? dash],
    // The media path's own RTT when the engine measures one, else the control WebSocket's pings.
    stats?.rttMs != null
      ? [t('stats.rtt'), n(stats.rttMs, 'ms')]
      : [t('stats.controlRtt'), n(controlRtt, 'ms', 1)],
    [t('stats.loss'), n(stats?.lossPct, '%', 1)],
    [t('stats.jitter'), n(stats?.jitterMs, 'ms', 1)],
    [t('stats.jitterBuffer'), n(stats?.jitterBufferMs, 'ms')],
    [t('stats.send'), n(stats?.sendKbps, 'kbit/s', 1)],
    [t('stats.recv'), n(stats?.recvKbps, 'kbit/s', 1)],
    // What our listeners report (docs/protocol.md §2.6): the worst one's score and loss.
    [
      t('stats.heardBy'),
      quality === null
        ? dash
        : `${t('stats.heardByValue', { listeners: quality.listeners, mos: quality.mos.min.toFixed(2), loss: quality.lossPct.max.toFixed(1) })}`,
    ],
  ];
  return (
    <dl className="stats" aria-live="off">
      {rows.map(([k, v]) => (
        <div key={k} style={{ display: 'contents' }}>
          <dt>{k}</dt>
          <dd data-stat={k}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
