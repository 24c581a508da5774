/**
 * Cursor pagination state (pure): the API gives only `nextCursor`, so going
 * back means remembering the cursor each page was fetched with.
 */
export interface PagerState {
  /** cursors[i] fetches page i; cursors[0] = null (the first page). */
  readonly cursors: readonly (string | null)[];
  readonly index: number;
  /** The current page's `nextCursor` (null: last page). */
  readonly nextCursor: string | null;
}

export type PagerAction =
  { type: 'reset' } | { type: 'loaded'; nextCursor: string | null } | { type: 'next' } | { type: 'prev' };

export const FIRST_PAGE: PagerState = { cursors: [null], index: 0, nextCursor: null };

export function pagerReducer(s: PagerState, a: PagerAction): PagerState {
  switch (a.type) {
    case 'reset':
      return FIRST_PAGE;
    case 'loaded':
      return { ...s, nextCursor: a.nextCursor };
    case 'next':
      if (s.nextCursor === null) return s;
      return {
        cursors: [...s.cursors.slice(0, s.index + 1), s.nextCursor],
        index: s.index + 1,
        nextCursor: null,
      };
    case 'prev':
      if (s.index === 0) return s;
      return { ...s, index: s.index - 1, nextCursor: null };
  }
}

/** The cursor to fetch the current page with. */
export function currentCursor(s: PagerState): string | null {
  return s.cursors[s.index] ?? null;
}
