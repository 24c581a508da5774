import { useEffect, useState } from 'react';
import { describeError, useI18n } from '../i18n';
import { api, type ChannelRow, type Page, type SessionRow } from '../lib/api';
import { Button } from '../ui/Button';
import { useCursorList, type Column } from '../ui/DataTable';
import { Select } from '../ui/Field';
import { useToast } from '../ui/Toast';
import { PAGE_SIZE, roleFilterOptions, SearchField, AdminTable } from './common';

export function SessionsAdmin({ token }: { token: string }) {
  const { t } = useI18n();
  const toast = useToast();
  const [q, setQ] = useState('');
  const [role, setRole] = useState('');
  const [channels, setChannels] = useState<ChannelRow[]>([]);
  const list = useCursorList<SessionRow>(
    (cursor, signal) =>
      api<Page<SessionRow>>('/sessions', {
        token,
        signal,
        query: {
          limit: PAGE_SIZE,
          sort: 'name',
          cursor: cursor ?? undefined,
          q: q.trim() || undefined,
          role: role || undefined,
        },
      }),
    `${q}|${role}`,
  );
  useEffect(() => {
    const ctl = new AbortController();
    api<Page<ChannelRow>>('/channels', { signal: ctl.signal, query: { limit: 200 } }).then(
      (p) => setChannels(p.items),
      () => undefined,
    );
    return () => ctl.abort();
  }, []);
  const act = (path: string, body: unknown) =>
    api(path, { method: 'POST', token, body }).then(
      () => list.reload(),
      (err: unknown) => toast.show(describeError(t, err), 'error'),
    );
  const state = (s: SessionRow) =>
    [
      s.muted || s.serverMuted ? (s.serverMuted ? t('member.serverMuted') : t('member.muted')) : '',
      s.deafened || s.serverDeafened
        ? s.serverDeafened
          ? t('member.serverDeafened')
          : t('member.deafened')
        : '',
      s.prioritySpeaker ? t('member.priority') : '',
    ]
      .filter(Boolean)
      .join(', ');
  const columns: Column<SessionRow>[] = [
    { key: 'name', header: t('common.name'), render: (s) => s.name },
    { key: 'role', header: t('common.role'), render: (s) => t(`role.${s.role}`) },
    {
      key: 'channel',
      header: t('admin.channel'),
      render: (s) => channels.find((c) => c.id === s.channelId)?.name ?? '',
    },
    { key: 'state', header: t('admin.state'), render: state },
    { key: 'ip', header: t('admin.ip'), render: (s) => <span className="mono">{s.ip ?? ''}</span> },
    {
      key: 'actions',
      header: t('common.actions'),
      render: (s) => (
        <span className="row">
          <Button
            size="sm"
            variant="secondary"
            aria-label={`${t('member.serverMute')} ${s.name}`}
            onClick={() => void act(`/sessions/${s.id}/mute`, { muted: !s.serverMuted })}
          >
            {t('member.serverMute')}
          </Button>
          <Button
            size="sm"
            variant="danger"
            aria-label={`${t('admin.kick')} ${s.name}`}
            onClick={() => void act(`/sessions/${s.id}/kick`, {})}
          >
            {t('admin.kick')}
          </Button>
        </span>
      ),
    },
  ];
  return (
    <section aria-label={t('admin.sessions')}>
      <div className="filters">
        <SearchField value={q} onChange={setQ} />
        <Select
          label={t('admin.filterRole')}
          value={role}
          options={roleFilterOptions(t)}
          onChange={(e) => setRole(e.currentTarget.value)}
        />
      </div>
      <AdminTable caption={t('admin.sessions')} columns={columns} list={list} rowKey={(s) => s.id} />
    </section>
  );
}
