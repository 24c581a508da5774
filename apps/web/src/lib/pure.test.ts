import { describe, expect, it } from 'vitest';
import { currentCursor, FIRST_PAGE, pagerReducer } from './pager';
import { DEFAULT_PREFS, MAX_VOLUMES, sanitizePrefs, withVolume } from './prefs';
import { queryString } from './api';
import { resolveTheme } from './theme';

describe('pagerReducer (cursor pagination)', () => {
  it('remembers the cursor of every page it went through, so Previous works', () => {
    let s = pagerReducer(FIRST_PAGE, { type: 'loaded', nextCursor: 'c2' });
    s = pagerReducer(s, { type: 'next' });
    expect([s.index, currentCursor(s)]).toEqual([1, 'c2']);
    s = pagerReducer(s, { type: 'loaded', nextCursor: 'c3' });
    s = pagerReducer(s, { type: 'next' });
    expect(currentCursor(s)).toBe('c3');
    s = pagerReducer(s, { type: 'loaded', nextCursor: null });
    expect(pagerReducer(s, { type: 'next' })).toBe(s); // last page
    s = pagerReducer(s, { type: 'prev' });
    expect([s.index, currentCursor(s)]).toEqual([1, 'c2']);
    s = pagerReducer(s, { type: 'prev' });
    expect(currentCursor(s)).toBeNull();
    expect(pagerReducer(s, { type: 'prev' })).toBe(s);
    expect(pagerReducer(s, { type: 'reset' })).toBe(FIRST_PAGE);
  });
});

describe('prefs', () => {
  it('keeps known fields of the right type, defaults the rest', () => {
    expect(sanitizePrefs(null)).toEqual(DEFAULT_PREFS);
    const p = sanitizePrefs({
      theme: 'dark',
      lang: 'xx',
      bitrate: '9',
      mode: 'open',
      volumes: { 'user:1': 0, 'guest:x': -1, y: 'a' },
      extra: 1,
    });
    expect(p.theme).toBe('dark');
    expect(p.lang).toBe('auto');
    expect(p.bitrate).toBe(0);
    expect(p.mode).toBe('open');
    expect(p.volumes).toEqual({ 'user:1': 0 });
    expect('extra' in p).toBe(false);
  });

  it('per-user volumes: 1 removes the entry, the map stays bounded (oldest first out)', () => {
    let v: Record<string, number> = {};
    v = withVolume(v, 'user:1', 0);
    v = withVolume(v, 'guest:ana', 0.5);
    expect(v).toEqual({ 'user:1': 0, 'guest:ana': 0.5 });
    expect(withVolume(v, 'user:1', 1)).toEqual({ 'guest:ana': 0.5 });
    for (let i = 0; i < MAX_VOLUMES + 5; i++) v = withVolume(v, `guest:${i}`, 0.3);
    expect(Object.keys(v).length).toBe(MAX_VOLUMES);
    expect('user:1' in v).toBe(false);
  });
});

describe('queryString and theme', () => {
  it('drops empty values and repeats arrays', () => {
    expect(
      queryString({ limit: 20, q: '', role: ['admin', 'member'], online: true, cursor: undefined }),
    ).toBe('?limit=20&role=admin&role=member&online=true');
    expect(queryString({})).toBe('');
  });

  it('system follows the OS', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
  });
});
