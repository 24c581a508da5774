/**
 * A table of one page of a cursor-paginated list, with First / Previous /
 * Next. `useCursorList` fetches the page (aborting a stale request when the
 * filters change or the component unmounts).
 */
import { useCallback, useEffect, useReducer, useRef, useState, type ReactNode } from 'react';
import type { Page } from '../lib/api';
import { currentCursor, FIRST_PAGE, pagerReducer } from '../lib/pager';
import { Button } from './Button';

export interface Column<T> {
  key: string;
  header: string;
  render: (row: T) => ReactNode;
}

export interface CursorList<T> {
  items: readonly T[];
  loading: boolean;
  error: unknown;
  pageNumber: number;
  hasNext: boolean;
  hasPrev: boolean;
  next: () => void;
  prev: () => void;
  first: () => void;
  reload: () => void;
}

/** Fetches pages with `fetchPage(cursor)`; `key` changes (filters) restart at the first page. */
export function useCursorList<T>(
  fetchPage: (cursor: string | null, signal: AbortSignal) => Promise<Page<T>>,
  key: string,
): CursorList<T> {
  const [pager, dispatch] = useReducer(pagerReducer, FIRST_PAGE);
  const [items, setItems] = useState<readonly T[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  // The owner rebuilds fetchPage on every render; `key` says when its meaning changed.
  const fetchRef = useRef(fetchPage);
  useEffect(() => {
    fetchRef.current = fetchPage;
  });
  useEffect(() => dispatch({ type: 'reset' }), [key]);
  const cursor = currentCursor(pager);
  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    fetchRef.current(cursor, ctl.signal).then(
      (page) => {
        if (ctl.signal.aborted) return;
        setItems(page.items);
        setError(null);
        setLoading(false);
        dispatch({ type: 'loaded', nextCursor: page.nextCursor });
      },
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [cursor, key, tick, pager.index]);
  return {
    items,
    loading,
    error,
    pageNumber: pager.index + 1,
    hasNext: pager.nextCursor !== null,
    hasPrev: pager.index > 0,
    next: useCallback(() => dispatch({ type: 'next' }), []),
    prev: useCallback(() => dispatch({ type: 'prev' }), []),
    first: useCallback(() => dispatch({ type: 'reset' }), []),
    reload: useCallback(() => setTick((n) => n + 1), []),
  };
}

export interface DataTableProps<T> {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  emptyText: string;
  loading?: boolean;
  pager?: {
    pageNumber: number;
    hasNext: boolean;
    hasPrev: boolean;
    next: () => void;
    prev: () => void;
    first: () => void;
    labels: { next: string; prev: string; first: string; page: string };
  };
}

export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  emptyText,
  loading = false,
  pager,
}: DataTableProps<T>) {
  return (
    <div>
      <div className="table-wrap">
        <table className="table" aria-busy={loading || undefined}>
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.key} scope="col">
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="table-empty">
                  {emptyText}
                </td>
              </tr>
            ) : (
              rows.map((r) => (
                <tr key={rowKey(r)}>
                  {columns.map((c) => (
                    <td key={c.key}>{c.render(r)}</td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      {pager !== undefined && (
        <nav className="pager" aria-label={caption}>
          <span className="muted" aria-live="polite">
            {pager.labels.page}
          </span>
          <Button variant="secondary" size="sm" onClick={pager.first} disabled={!pager.hasPrev}>
            {pager.labels.first}
          </Button>
          <Button
            variant="secondary"
            size="sm"
            icon="chevron-left"
            onClick={pager.prev}
            disabled={!pager.hasPrev}
          >
            {pager.labels.prev}
          </Button>
          <Button variant="secondary" size="sm" onClick={pager.next} disabled={!pager.hasNext}>
            {pager.labels.next}
          </Button>
        </nav>
      )}
    </div>
  );
}
