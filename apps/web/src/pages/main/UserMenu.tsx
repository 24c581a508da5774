/**
 * A person's menu: their volume for me and a local mute (kept by user, so
 * they stay when the person is silent, leaves or comes back), and the
 * moderation a moderator or admin may do.
 */
import { userKey } from '@parley/client';
import { describeError, useI18n } from '../../i18n';
import { setPrefs, usePrefs, withVolume } from '../../lib/prefs';
import type { VoiceSession } from '../../voice/session';
import type { Person, VoiceState } from '../../voice/state';
import { Button } from '../../ui/Button';
import { Dialog } from '../../ui/Dialog';
import { Slider, Toggle } from '../../ui/Field';
import { useToast } from '../../ui/Toast';

const RANK = { guest: 0, member: 1, moderator: 2, admin: 3 } as const;

export function UserMenu({
  person: p,
  session,
  state,
  onClose,
}: {
  person: Person;
  session: VoiceSession;
  state: VoiceState;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const toast = useToast();
  const { volumes } = usePrefs();
  const key = userKey(p);
  const gain = volumes[key] ?? 1;
  const setGain = (g: number) => {
    setPrefs({ volumes: withVolume(volumes, key, g) });
    session.audio?.setUserVolume(key, g);
  };
  const myRole = state.user?.role ?? 'guest';
  const mayModerate = RANK[myRole] >= RANK.moderator && (myRole === 'admin' || RANK[myRole] > RANK[p.role]);
  const act = (f: () => Promise<void>) => {
    f().then(
      () => toast.show(t('common.saved'), 'success'),
      (err: unknown) => toast.show(describeError(t, err), 'error'),
    );
  };
  return (
    <Dialog open title={t('member.menu', { name: p.name })} onClose={onClose} closeLabel={t('common.close')}>
      <Slider
        label={t('member.volume', { name: p.name })}
        value={Math.round(gain * 100)}
        min={0}
        max={200}
        step={5}
        format={(v) => `${v} %`}
        onChange={(v) => setGain(v / 100)}
      />
      <Toggle
        label={t('member.localMute', { name: p.name })}
        checked={gain === 0}
        onChange={(on) => setGain(on ? 0 : 1)}
      />
      {mayModerate && (
        <section className="stack" aria-label={t('member.moderation')}>
          <h3>{t('member.moderation')}</h3>
          <Toggle
            label={t('member.serverMute')}
            checked={p.serverMuted}
            onChange={(on) => act(() => session.serverMute(p.ssrc, { muted: on }))}
          />
          <Toggle
            label={t('member.serverDeafen')}
            checked={p.serverDeafened}
            onChange={(on) => act(() => session.serverMute(p.ssrc, { deafened: on }))}
          />
          <Toggle
            label={t('member.makePriority')}
            checked={p.prioritySpeaker}
            onChange={(on) => act(() => session.priority(p.ssrc, on))}
          />
          <div className="row">
            <Button variant="danger" size="sm" onClick={() => act(() => session.kick(p.ssrc).then(onClose))}>
              {t('member.kick')}
            </Button>
          </div>
        </section>
      )}
    </Dialog>
  );
}
