/**
 * One person in the tree. Test contract (issue 11 part 5): `data-user` (the
 * nickname), `data-speaking` ("true" | "false") and `data-level` (received
 * dBFS, rounded; −100 when nothing is received).
 */
import { useState } from 'react';
import { userKey } from '@parley/client';
import { useI18n } from '../../i18n';
import { usePrefs } from '../../lib/prefs';
import { useEngine, useRemoteLevel } from '../../voice/hooks';
import type { VoiceSession } from '../../voice/session';
import type { Person, VoiceState } from '../../voice/state';
import { Avatar } from '../../ui/Avatar';
import { IconButton } from '../../ui/Button';
import { Icon, type IconName } from '../../ui/icons';
import { UserMenu } from './UserMenu';

export function PersonRow({
  person: p,
  session,
  state,
  inMyChannel,
}: {
  person: Person;
  session: VoiceSession;
  state: VoiceState;
  inMyChannel: boolean;
}) {
  const { t } = useI18n();
  const engine = useEngine(session);
  const level = useRemoteLevel(inMyChannel && !p.self ? engine : null, p.ssrc);
  const { volumes } = usePrefs();
  const [menu, setMenu] = useState(false);
  const speaking = session.speaking(p.ssrc, p.speaking);
  const locallyMuted = (volumes[userKey(p)] ?? 1) === 0;
  const flags: { icon: IconName; label: string; on: boolean }[] = [
    { icon: 'star', label: t('member.priority'), on: p.prioritySpeaker },
    {
      icon: 'mic-off',
      label: p.serverMuted ? t('member.serverMuted') : t('member.muted'),
      on: p.muted || p.serverMuted,
    },
    {
      icon: 'headphones-off',
      label: p.serverDeafened ? t('member.serverDeafened') : t('member.deafened'),
      on: p.deafened || p.serverDeafened,
    },
    { icon: 'volume', label: t('member.localMute', { name: p.name }), on: locallyMuted },
  ];
  return (
    <li
      className="person"
      data-user={p.name}
      data-speaking={speaking ? 'true' : 'false'}
      data-level={String(level)}
      data-self={p.self ? 'true' : undefined}
    >
      <Avatar name={p.name} speaking={speaking} />
      <span className="person-name">
        {p.name}
        {p.self && <span className="muted"> {t('member.you')}</span>}
        {speaking && <span className="visually-hidden">, {t('member.speaking')}</span>}
      </span>
      <span className="person-flags">
        {flags
          .filter((f) => f.on)
          .map((f) => (
            <span key={f.icon} className={`person-flag flag-${f.icon}`} title={f.label}>
              <Icon name={f.icon} className="icon icon-sm" />
              <span className="visually-hidden">{f.label}</span>
            </span>
          ))}
      </span>
      {!p.self && (
        <IconButton
          icon="more"
          label={t('member.menu', { name: p.name })}
          tooltip={false}
          className="person-menu"
          onClick={() => setMenu(true)}
        />
      )}
      {menu && <UserMenu person={p} session={session} state={state} onClose={() => setMenu(false)} />}
    </li>
  );
}
