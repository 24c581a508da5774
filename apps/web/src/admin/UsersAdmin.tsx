import { useState } from 'react';
import { describeError, useI18n } from '../i18n';
import { useAuth } from '../lib/auth';
import { api, type Page, type UserRow } from '../lib/api';
import { Button } from '../ui/Button';
import { useCursorList, type Column } from '../ui/DataTable';
import { ConfirmDialog, type ConfirmState } from '../ui/ConfirmDialog';
import { FormDialog, type AdminDialogProps } from './FormDialog';
import { Input, Select } from '../ui/Field';
import { useToast } from '../ui/Toast';
import { formatDate, PAGE_SIZE, SearchField, AdminTable } from './common';

const ROLES = ['admin', 'moderator', 'member'] as const;

export function UsersAdmin({ token, isAdmin }: { token: string; isAdmin: boolean }) {
  const auth = useAuth();
  const myId = auth?.kind === 'account' ? auth.user.id : null;
  const { t, lang } = useI18n();
  const toast = useToast();
  const [q, setQ] = useState('');
  const [role, setRole] = useState('');
  const [online, setOnline] = useState('');
  const [creating, setCreating] = useState(false);
  const [confirming, setConfirming] = useState<ConfirmState | null>(null);
  const list = useCursorList<UserRow>(
    (cursor, signal) =>
      api<Page<UserRow>>('/users', {
        token,
        signal,
        query: {
          limit: PAGE_SIZE,
          sort: 'name',
          cursor: cursor ?? undefined,
          q: q.trim() || undefined,
          role: role || undefined,
          online: online || undefined,
        },
      }),
    `${q}|${role}|${online}`,
  );
  const run = (f: () => Promise<unknown>) =>
    f().then(
      () => {
        toast.show(t('common.saved'), 'success');
        list.reload();
      },
      (err: unknown) => toast.show(describeError(t, err), 'error'),
    );
  const roleOptions = ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }));
  const columns: Column<UserRow>[] = [
    { key: 'name', header: t('common.name'), render: (u) => u.name },
    {
      key: 'role',
      header: t('common.role'),
      render: (u) =>
        isAdmin ? (
          <select
            className="select select-compact"
            aria-label={t('admin.changeRole', { name: u.name })}
            value={u.role}
            onChange={(e) =>
              void run(() =>
                api(`/users/${u.id}`, { method: 'PATCH', token, body: { role: e.currentTarget.value } }),
              )
            }
          >
            {roleOptions.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        ) : (
          t(`role.${u.role}`)
        ),
    },
    {
      key: 'online',
      header: t('admin.filterOnline'),
      render: (u) => (u.online === true ? t('admin.online') : t('admin.offline')),
    },
    { key: 'created', header: t('common.created'), render: (u) => formatDate(lang, u.createdAt) },
  ];
  if (isAdmin) {
    columns.push({
      key: 'actions',
      header: t('common.actions'),
      // No "Delete" on one's own row: it would end the session in use (another admin can do it).
      render: (u) =>
        u.id === myId ? null : (
          <Button
            variant="danger"
            size="sm"
            aria-label={t('admin.deleteUser', { name: u.name })}
            onClick={() =>
              setConfirming({
                title: t('admin.deleteUser', { name: u.name }),
                confirmLabel: t('common.delete'),
                run: () => run(() => api(`/users/${u.id}`, { method: 'DELETE', token })),
              })
            }
          >
            {t('common.delete')}
          </Button>
        ),
    });
  }
  return (
    <section aria-label={t('admin.users')}>
      <div className="filters">
        <SearchField value={q} onChange={setQ} />
        <Select
          label={t('admin.filterRole')}
          value={role}
          options={[{ value: '', label: t('common.all') }, ...roleOptions]}
          onChange={(e) => setRole(e.currentTarget.value)}
        />
        <Select
          label={t('admin.filterOnline')}
          value={online}
          options={[
            { value: '', label: t('common.all') },
            { value: 'true', label: t('admin.online') },
            { value: 'false', label: t('admin.offline') },
          ]}
          onChange={(e) => setOnline(e.currentTarget.value)}
        />
        <span className="spacer" />
        {isAdmin && (
          <Button icon="plus" onClick={() => setCreating(true)}>
            {t('admin.newUser')}
          </Button>
        )}
      </div>
      <AdminTable caption={t('admin.users')} columns={columns} list={list} rowKey={(u) => u.id} />
      <ConfirmDialog
        state={confirming}
        onClose={() => setConfirming(null)}
        cancelLabel={t('common.cancel')}
        closeLabel={t('common.close')}
      />
      {creating && <NewUserDialog token={token} onClose={() => setCreating(false)} onDone={list.reload} />}
    </section>
  );
}

function NewUserDialog({ token, onClose, onDone }: AdminDialogProps) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('member');
  const submit = () => api('/users', { method: 'POST', token, body: { name: name.trim(), password, role } });
  return (
    <FormDialog
      title={t('admin.newUser')}
      submitLabel={t('common.create')}
      onClose={onClose}
      onDone={onDone}
      submit={submit}
    >
      {(error) => (
        <>
          <Input
            label={t('common.name')}
            value={name}
            maxLength={32}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <Input
            label={t('common.password')}
            type="password"
            autoComplete="new-password"
            hint={t('register.hint')}
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
          />
          <Select
            label={t('common.role')}
            value={role}
            options={ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))}
            onChange={(e) => setRole(e.currentTarget.value)}
            error={error}
          />
        </>
      )}
    </FormDialog>
  );
}
