/** What every admin list shares: the pager labels, dates, an error line. */
import { describeError, useI18n, type Translate } from '../i18n';
import type { CursorList } from '../ui/DataTable';

export function pagerProps<T>(list: CursorList<T>, t: Translate) {
  return {
    pageNumber: list.pageNumber,
    hasNext: list.hasNext,
    hasPrev: list.hasPrev,
    next: list.next,
    prev: list.prev,
    first: list.first,
    labels: {
      next: t('common.next'),
      prev: t('common.previous'),
      first: t('common.first'),
      page: t('common.page', { n: list.pageNumber }),
    },
  };
}

export function formatDate(lang: string, iso: string | null): string {
  if (iso === null) return '';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function ErrorLine({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (error === null || error === undefined) return null;
  return (
    <p className="error-text" role="alert">
      {describeError(t, error)}
    </p>
  );
}

export const PAGE_SIZE = 20;
