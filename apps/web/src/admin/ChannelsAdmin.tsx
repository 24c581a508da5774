import { useEffect, useState } from 'react';
import { describeError, useI18n } from '../i18n';
import {
  ACTOR_ROLES,
  api,
  PERMISSIONS,
  type ActorRole,
  type ChannelPermissions,
  type ChannelRow,
  type Page,
  type Permission,
} from '../lib/api';
import { Button } from '../ui/Button';
import { useCursorList, type Column } from '../ui/DataTable';
import { ConfirmDialog, type ConfirmState } from '../ui/ConfirmDialog';
import { Dialog } from '../ui/Dialog';
import { ChannelOrderDialog } from './ChannelOrderDialog';
import { FormDialog, type AdminDialogProps } from './FormDialog';
import { Input, Select, Toggle } from '../ui/Field';
import { Icon } from '../ui/icons';
import { useToast } from '../ui/Toast';
import { ErrorLine, PAGE_SIZE, SearchField, AdminTable } from './common';

export function ChannelsAdmin({ token }: { token: string }) {
  const { t } = useI18n();
  const toast = useToast();
  const [q, setQ] = useState('');
  const [editing, setEditing] = useState<ChannelRow | 'new' | null>(null);
  const [perms, setPerms] = useState<ChannelRow | null>(null);
  const [ordering, setOrdering] = useState(false);
  const [all, setAll] = useState<ChannelRow[]>([]);
  const list = useCursorList<ChannelRow>(
    (cursor, signal) =>
      api<Page<ChannelRow>>('/channels', {
        token,
        signal,
        query: { limit: PAGE_SIZE, cursor: cursor ?? undefined, q: q.trim() || undefined },
      }),
    q,
  );
  useEffect(() => {
    const ctl = new AbortController();
    api<Page<ChannelRow>>('/channels', { token, signal: ctl.signal, query: { limit: 200 } }).then(
      (p) => setAll(p.items),
      () => undefined,
    );
    return () => ctl.abort();
  }, [token, list.items]);
  const nameOf = (id: number | null) =>
    id === null ? t('admin.topLevel') : (all.find((c) => c.id === id)?.name ?? `#${id}`);
  const [confirming, setConfirming] = useState<ConfirmState | null>(null);
  const remove = (c: ChannelRow) =>
    setConfirming({
      title: t('admin.deleteChannel', { name: c.name }),
      confirmLabel: t('common.delete'),
      run: () =>
        api(`/channels/${c.id}`, { method: 'DELETE', token }).then(
          () => list.reload(),
          (err: unknown) => toast.show(describeError(t, err), 'error'),
        ),
    });
  const columns: Column<ChannelRow>[] = [
    {
      key: 'name',
      header: t('common.name'),
      render: (c) => (
        <span className="row">
          {c.name}
          {c.hasPassword && (
            <span title={t('channels.locked')}>
              <Icon name="lock" className="icon icon-sm" />
              <span className="visually-hidden">{t('channels.locked')}</span>
            </span>
          )}
        </span>
      ),
    },
    { key: 'parent', header: t('admin.parent'), render: (c) => nameOf(c.parentId) },
    {
      key: 'members',
      header: t('admin.people'),
      render: (c) => (c.userLimit > 0 ? `${c.members}/${c.userLimit}` : String(c.members)),
    },
    {
      key: 'actions',
      header: t('common.actions'),
      render: (c) => (
        <span className="row">
          <Button
            size="sm"
            variant="secondary"
            aria-label={`${t('common.edit')} ${c.name}`}
            onClick={() => setEditing(c)}
          >
            {t('common.edit')}
          </Button>
          <Button
            size="sm"
            variant="secondary"
            aria-label={t('admin.permissionsOf', { name: c.name })}
            onClick={() => setPerms(c)}
          >
            {t('admin.permissions')}
          </Button>
          <Button
            size="sm"
            variant="danger"
            aria-label={`${t('common.delete')} ${c.name}`}
            onClick={() => remove(c)}
          >
            {t('common.delete')}
          </Button>
        </span>
      ),
    },
  ];
  return (
    <section aria-label={t('admin.channels')}>
      <div className="filters">
        <SearchField value={q} onChange={setQ} />
        <span className="spacer" />
        <Button variant="secondary" icon="arrows-up-down" onClick={() => setOrdering(true)}>
          {t('admin.orderChannels')}
        </Button>
        <Button icon="plus" onClick={() => setEditing('new')}>
          {t('admin.newChannel')}
        </Button>
      </div>
      <AdminTable caption={t('admin.channels')} columns={columns} list={list} rowKey={(c) => c.id} />
      {editing !== null && (
        <ChannelDialog
          token={token}
          channel={editing === 'new' ? null : editing}
          all={all}
          onClose={() => setEditing(null)}
          onDone={list.reload}
        />
      )}
      <ConfirmDialog
        state={confirming}
        onClose={() => setConfirming(null)}
        cancelLabel={t('common.cancel')}
        closeLabel={t('common.close')}
      />
      {ordering && (
        <ChannelOrderDialog token={token} all={all} onClose={() => setOrdering(false)} onDone={list.reload} />
      )}
      {perms !== null && <PermissionsDialog token={token} channel={perms} onClose={() => setPerms(null)} />}
    </section>
  );
}

function ChannelDialog({
  token,
  channel,
  all,
  onClose,
  onDone,
}: AdminDialogProps & {
  channel: ChannelRow | null;
  all: readonly ChannelRow[];
}) {
  const { t } = useI18n();
  const [name, setName] = useState(channel?.name ?? '');
  const [parent, setParent] = useState(
    channel?.parentId === null || channel === null ? '' : String(channel.parentId),
  );
  const [description, setDescription] = useState(channel?.description ?? '');
  const [limit, setLimit] = useState(String(channel?.userLimit ?? 0));
  const [password, setPassword] = useState('');
  const [temporary, setTemporary] = useState(channel?.temporary ?? false);
  const submit = () => {
    const body: Record<string, unknown> = {
      name: name.trim(),
      parentId: parent === '' ? null : Number(parent),
      description,
      userLimit: Number(limit) || 0,
      temporary,
    };
    if (password !== '' || channel === null) body.password = password === '' ? null : password;
    return channel === null
      ? api('/channels', { method: 'POST', token, body })
      : api(`/channels/${channel.id}`, { method: 'PATCH', token, body });
  };
  return (
    <FormDialog
      title={channel === null ? t('admin.newChannel') : `${t('common.edit')} ${channel.name}`}
      submitLabel={channel === null ? t('common.create') : t('common.save')}
      onClose={onClose}
      onDone={onDone}
      submit={submit}
    >
      {(error) => (
        <>
          <Input
            label={t('admin.channelName')}
            value={name}
            maxLength={64}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <Select
            label={t('admin.parent')}
            value={parent}
            options={[
              { value: '', label: t('admin.topLevel') },
              ...all.filter((c) => c.id !== channel?.id).map((c) => ({ value: String(c.id), label: c.name })),
            ]}
            onChange={(e) => setParent(e.currentTarget.value)}
          />
          <Input
            label={t('admin.description')}
            value={description}
            maxLength={1000}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
          <Input
            label={t('admin.userLimit')}
            type="number"
            min={0}
            value={limit}
            onChange={(e) => setLimit(e.currentTarget.value)}
          />
          <Input
            label={t('admin.channelPassword')}
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
          />
          <Toggle label={t('channels.temporary')} checked={temporary} onChange={setTemporary} />
          {error !== null && (
            <p className="error-text" role="alert">
              {error}
            </p>
          )}
        </>
      )}
    </FormDialog>
  );
}

type Choice = 'inherit' | 'allow' | 'deny';

function PermissionsDialog({
  token,
  channel,
  onClose,
}: {
  token: string;
  channel: ChannelRow;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const toast = useToast();
  const [data, setData] = useState<ChannelPermissions | null>(null);
  const [choices, setChoices] = useState<Record<ActorRole, Record<Permission, Choice>> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    api<ChannelPermissions>(`/channels/${channel.id}/permissions`, { token, signal: ctl.signal }).then(
      (p) => {
        setData(p);
        const c = {} as Record<ActorRole, Record<Permission, Choice>>;
        for (const r of ACTOR_ROLES) {
          const o = p.overrides.find((x) => x.role === r);
          c[r] = {} as Record<Permission, Choice>;
          for (const perm of PERMISSIONS)
            c[r][perm] = o?.allow.includes(perm) ? 'allow' : o?.deny.includes(perm) ? 'deny' : 'inherit';
        }
        setChoices(c);
      },
      (err: unknown) => !ctl.signal.aborted && setError(err),
    );
    return () => ctl.abort();
  }, [token, channel.id, tick]);
  const save = async () => {
    if (choices === null) return;
    setBusy(true);
    try {
      for (const r of ACTOR_ROLES) {
        const allow = PERMISSIONS.filter((p) => choices[r][p] === 'allow');
        const deny = PERMISSIONS.filter((p) => choices[r][p] === 'deny');
        await api(`/channels/${channel.id}/permissions/${r}`, {
          method: 'PUT',
          token,
          body: { allow, deny },
        });
      }
      toast.show(t('common.saved'), 'success');
      setTick((n) => n + 1);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      title={t('admin.permissionsOf', { name: channel.name })}
      wide
      onClose={onClose}
      closeLabel={t('common.close')}
      onSubmit={() => void save()}
      actions={
        <>
          <Button variant="secondary" onClick={onClose}>
            {t('common.close')}
          </Button>
          <Button type="submit" busy={busy} disabled={choices === null}>
            {t('common.save')}
          </Button>
        </>
      }
    >
      <ErrorLine error={error} />
      {choices !== null && data !== null && (
        <div className="table-wrap">
          <table className="table perm-table">
            <caption className="visually-hidden">{t('admin.permissionsOf', { name: channel.name })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.permissions')}</th>
                {ACTOR_ROLES.map((r) => (
                  <th key={r} scope="col">
                    {t(`role.${r}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {PERMISSIONS.map((perm) => (
                <tr key={perm}>
                  <th scope="row">{perm}</th>
                  {ACTOR_ROLES.map((r) => (
                    <td key={r}>
                      <select
                        className="select select-compact"
                        aria-label={`${perm}, ${t(`role.${r}`)} (${t('admin.effective')}: ${data.effective[r].includes(perm) ? t('common.yes') : t('common.no')})`}
                        value={choices[r][perm]}
                        onChange={(e) => {
                          const v = e.currentTarget.value as Choice;
                          setChoices((c) => (c === null ? c : { ...c, [r]: { ...c[r], [perm]: v } }));
                        }}
                      >
                        <option value="inherit">
                          {t('admin.inherit')} ({data.effective[r].includes(perm) ? '✓' : '✗'})
                        </option>
                        <option value="allow">{t('admin.allow')}</option>
                        <option value="deny">{t('admin.deny')}</option>
                      </select>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Dialog>
  );
}
