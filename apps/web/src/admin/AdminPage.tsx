/** Administration: users, channels and permissions, bans, sessions, audit log, run-time settings. */
import { useI18n } from '../i18n';
import { useAuth } from '../lib/auth';
import { navigate } from '../lib/router';
import { Tabs } from '../ui/Tabs';
import { Shell } from '../pages/Shell';
import { AuditAdmin } from './AuditAdmin';
import { BansAdmin } from './BansAdmin';
import { ChannelsAdmin } from './ChannelsAdmin';
import { ConfigAdmin } from './ConfigAdmin';
import { SessionsAdmin } from './SessionsAdmin';
import { UsersAdmin } from './UsersAdmin';

const TABS = ['users', 'channels', 'bans', 'sessions', 'audit', 'settings'] as const;
type Tab = (typeof TABS)[number];

export function AdminPage({ tab: wanted }: { tab: string }) {
  const { t } = useI18n();
  const auth = useAuth();
  const tab: Tab = TABS.find((x) => x === wanted) ?? 'users';
  const role = auth?.kind === 'account' ? auth.user.role : 'guest';
  const token = auth?.kind === 'account' ? auth.token : null;
  if (token === null || (role !== 'admin' && role !== 'moderator')) {
    return (
      <Shell>
        <div className="page">
          <h1>{t('admin.title')}</h1>
          <p>{t('admin.forbidden')}</p>
        </div>
      </Shell>
    );
  }
  const isAdmin = role === 'admin';
  return (
    <Shell>
      <div className="page">
        <h1>{t('admin.title')}</h1>
        <Tabs
          label={t('admin.title')}
          tabs={TABS.filter((x) => isAdmin || x !== 'settings').map((id) => ({
            id,
            label: t(`admin.${id}`),
          }))}
          selected={tab}
          onSelect={(id) => navigate(`/admin/${id}`)}
        >
          {tab === 'users' && <UsersAdmin token={token} isAdmin={isAdmin} />}
          {tab === 'channels' && <ChannelsAdmin token={token} />}
          {tab === 'bans' && <BansAdmin token={token} />}
          {tab === 'sessions' && <SessionsAdmin token={token} />}
          {tab === 'audit' && <AuditAdmin token={token} />}
          {tab === 'settings' && isAdmin && <ConfigAdmin token={token} />}
        </Tabs>
      </div>
    </Shell>
  );
}
