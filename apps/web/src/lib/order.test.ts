import { describe, expect, it } from 'vitest';
import { bySiblingOrder, childrenOf, moveBy, type Orderable } from './order';

const ch = (id: number, name: string, parentId: number | null, position = 0): Orderable => ({
  id,
  name,
  parentId,
  position,
});

describe('sibling order', () => {
  it('sorts by position, then by name', () => {
    const list = [ch(1, 'b', null, 1), ch(2, 'c', null, 0), ch(3, 'a', null, 1), ch(4, 'd', null, 0)];
    expect([...list].sort(bySiblingOrder).map((c) => c.name)).toEqual(['c', 'd', 'a', 'b']);
  });

  it("lists one parent's children, in order", () => {
    const all = [
      ch(1, 'Lobby', null),
      ch(2, 'z', 1, 0),
      ch(3, 'y', 1, 2),
      ch(4, 'x', 1, 2),
      ch(5, 'Games', null),
    ];
    expect(childrenOf(all, 1).map((c) => c.id)).toEqual([2, 4, 3]);
    expect(childrenOf(all, null).map((c) => c.name)).toEqual(['Games', 'Lobby']);
    expect(childrenOf(all, 9)).toEqual([]);
  });
});

describe('moveBy', () => {
  const list = ['a', 'b', 'c', 'd'];
  it('moves one item up or down, the others keep their order', () => {
    expect(moveBy(list, 2, -1)).toEqual(['a', 'c', 'b', 'd']);
    expect(moveBy(list, 0, 1)).toEqual(['b', 'a', 'c', 'd']);
    expect(moveBy(list, 1, 2)).toEqual(['a', 'c', 'd', 'b']);
    expect(list).toEqual(['a', 'b', 'c', 'd']);
  });

  it('stops at the ends and returns the same list when nothing moves', () => {
    expect(moveBy(list, 0, -1)).toBe(list);
    expect(moveBy(list, 3, 1)).toBe(list);
    expect(moveBy(list, 3, 5)).toBe(list);
    expect(moveBy(list, 1, -5)).toEqual(['b', 'a', 'c', 'd']);
    expect(moveBy(list, 7, 1)).toBe(list);
  });
});
