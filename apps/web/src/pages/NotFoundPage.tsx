import { useI18n } from '../i18n';
import { Link } from '../ui/Link';
import { Shell } from './Shell';

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <Shell>
      <div className="welcome">
        <section className="card narrow">
          <h1>{t('notFound.title')}</h1>
          <Link href="/">{t('notFound.home')}</Link>
        </section>
      </div>
    </Shell>
  );
}
