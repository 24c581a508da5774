import { useState } from 'react';
import { describeError, useI18n } from '../i18n';
import { api, type BanRow, type Page } from '../lib/api';
import { Button } from '../ui/Button';
import { useCursorList, type Column } from '../ui/DataTable';
import { FormDialog, type AdminDialogProps } from './FormDialog';
import { Input, Toggle } from '../ui/Field';
import { useToast } from '../ui/Toast';
import { formatDate, PAGE_SIZE, SearchField, AdminTable } from './common';

export function BansAdmin({ token }: { token: string }) {
  const { t, lang } = useI18n();
  const toast = useToast();
  const [q, setQ] = useState('');
  const [activeOnly, setActiveOnly] = useState(true);
  const [creating, setCreating] = useState(false);
  const list = useCursorList<BanRow>(
    (cursor, signal) =>
      api<Page<BanRow>>('/bans', {
        token,
        signal,
        query: {
          limit: PAGE_SIZE,
          cursor: cursor ?? undefined,
          q: q.trim() || undefined,
          active: activeOnly ? true : undefined,
        },
      }),
    `${q}|${activeOnly}`,
  );
  const lift = (b: BanRow) =>
    api(`/bans/${b.id}`, { method: 'DELETE', token }).then(
      () => list.reload(),
      (err: unknown) => toast.show(describeError(t, err), 'error'),
    );
  const columns: Column<BanRow>[] = [
    {
      key: 'user',
      header: t('admin.target'),
      render: (b) => [b.userName, b.ip].filter((x) => x !== null).join(' · '),
    },
    { key: 'reason', header: t('common.reason'), render: (b) => b.reason },
    { key: 'created', header: t('common.created'), render: (b) => formatDate(lang, b.createdAt) },
    {
      key: 'expires',
      header: t('admin.expires'),
      render: (b) => (b.expiresAt === null ? t('admin.permanent') : formatDate(lang, b.expiresAt)),
    },
    {
      key: 'actions',
      header: t('common.actions'),
      render: (b) => (
        <Button
          size="sm"
          variant="secondary"
          aria-label={`${t('admin.lift')} #${b.id}`}
          onClick={() => void lift(b)}
        >
          {t('admin.lift')}
        </Button>
      ),
    },
  ];
  return (
    <section aria-label={t('admin.bans')}>
      <div className="filters">
        <SearchField value={q} onChange={setQ} />
        <Toggle label={t('admin.activeOnly')} checked={activeOnly} onChange={setActiveOnly} />
        <span className="spacer" />
        <Button icon="plus" onClick={() => setCreating(true)}>
          {t('admin.newBan')}
        </Button>
      </div>
      <AdminTable caption={t('admin.bans')} columns={columns} list={list} rowKey={(b) => b.id} />
      {creating && <NewBanDialog token={token} onClose={() => setCreating(false)} onDone={list.reload} />}
    </section>
  );
}

function NewBanDialog({ token, onClose, onDone }: AdminDialogProps) {
  const { t } = useI18n();
  const [userId, setUserId] = useState('');
  const [ip, setIp] = useState('');
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState('');
  const submit = () =>
    api('/bans', {
      method: 'POST',
      token,
      body: {
        ...(userId.trim() === '' ? {} : { userId: Number(userId) }),
        ...(ip.trim() === '' ? {} : { ip: ip.trim() }),
        ...(reason.trim() === '' ? {} : { reason: reason.trim() }),
        ...(minutes.trim() === '' ? {} : { minutes: Number(minutes) }),
      },
    });
  return (
    <FormDialog
      title={t('admin.newBan')}
      submitLabel={t('common.create')}
      danger
      onClose={onClose}
      onDone={onDone}
      submit={submit}
    >
      {(error) => (
        <>
          <Input
            label={`${t('admin.banUserId')} ${t('common.optional')}`}
            inputMode="numeric"
            value={userId}
            onChange={(e) => setUserId(e.currentTarget.value)}
          />
          <Input
            label={`${t('admin.banIp')} ${t('common.optional')}`}
            value={ip}
            onChange={(e) => setIp(e.currentTarget.value)}
          />
          <Input
            label={`${t('common.reason')} ${t('common.optional')}`}
            value={reason}
            maxLength={500}
            onChange={(e) => setReason(e.currentTarget.value)}
          />
          <Input
            label={t('admin.banMinutes')}
            inputMode="numeric"
            value={minutes}
            onChange={(e) => setMinutes(e.currentTarget.value)}
            error={error}
          />
        </>
      )}
    </FormDialog>
  );
}
