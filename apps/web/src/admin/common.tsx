/** What every admin list shares: the pager labels, dates, an error line, the search box, the role filter. */
import { describeError, useI18n, type Translate } from '../i18n';
import { DataTable, type Column, type CursorList } from '../ui/DataTable';
import { Input } from '../ui/Field';

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

/** The search box at the head of every admin list. */
export function SearchField({ value, onChange }: { value: string; onChange: (q: string) => void }) {
  const { t } = useI18n();
  return (
    <Input
      label={t('common.search')}
      type="search"
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
    />
  );
}

/** The roles, for a role filter: "All" first. */
export function roleFilterOptions(t: Translate): { value: string; label: string }[] {
  return [
    { value: '', label: t('common.all') },
    ...(['admin', 'moderator', 'member', 'guest'] as const).map((r) => ({ value: r, label: t(`role.${r}`) })),
  ];
}

/** An admin list's table: its error line, the rows, the pager. */
export function AdminTable<T>({
  caption,
  columns,
  list,
  rowKey,
}: {
  caption: string;
  columns: Column<T>[];
  list: CursorList<T>;
  rowKey: (row: T) => string | number;
}) {
  const { t } = useI18n();
  return (
    <>
      <ErrorLine error={list.error} />
      <DataTable
        caption={caption}
        columns={columns}
        rows={list.items}
        rowKey={rowKey}
        emptyText={t('common.empty')}
        loading={list.loading}
        pager={pagerProps(list, t)}
      />
    </>
  );
}
