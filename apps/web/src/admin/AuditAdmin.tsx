import { useState } from 'react';
import { useI18n } from '../i18n';
import { api, type AuditRow, type Page } from '../lib/api';
import { useCursorList, type Column } from '../ui/DataTable';
import { Input } from '../ui/Field';
import { formatDate, PAGE_SIZE, AdminTable } from './common';

export function AuditAdmin({ token }: { token: string }) {
  const { t, lang } = useI18n();
  const [action, setAction] = useState('');
  const [targetType, setTargetType] = useState('');
  const list = useCursorList<AuditRow>(
    (cursor, signal) =>
      api<Page<AuditRow>>('/audit', {
        token,
        signal,
        query: {
          limit: PAGE_SIZE,
          cursor: cursor ?? undefined,
          action: action.trim() || undefined,
          targetType: targetType.trim() || undefined,
        },
      }),
    `${action}|${targetType}`,
  );
  const columns: Column<AuditRow>[] = [
    { key: 'when', header: t('admin.when'), render: (a) => formatDate(lang, a.createdAt) },
    { key: 'actor', header: t('admin.actor'), render: (a) => a.actorName },
    { key: 'action', header: t('admin.action'), render: (a) => <span className="mono">{a.action}</span> },
    {
      key: 'target',
      header: t('admin.target'),
      render: (a) => `${a.targetType}${a.targetId === null ? '' : ` #${a.targetId}`}`,
    },
    {
      key: 'detail',
      header: t('admin.detail'),
      render: (a) => (
        <span className="mono">{Object.keys(a.detail).length === 0 ? '' : JSON.stringify(a.detail)}</span>
      ),
    },
    { key: 'ip', header: t('admin.ip'), render: (a) => <span className="mono">{a.ip ?? ''}</span> },
  ];
  return (
    <section aria-label={t('admin.audit')}>
      <div className="filters">
        <Input
          label={t('admin.filterAction')}
          value={action}
          onChange={(e) => setAction(e.currentTarget.value)}
        />
        <Input
          label={t('admin.filterTarget')}
          value={targetType}
          onChange={(e) => setTargetType(e.currentTarget.value)}
        />
      </div>
      <AdminTable caption={t('admin.audit')} columns={columns} list={list} rowKey={(a) => a.id} />
    </section>
  );
}
