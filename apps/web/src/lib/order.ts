/**
 * The order of sibling channels, one rule for the whole app (the channel
 * tree, the admin page): by `position`, then by name. And the move of one
 * item in a list, for the admin page's Move up / Move down.
 */

/** What the order of siblings reads. */
export interface Orderable {
  id: number;
  name: string;
  parentId: number | null;
  position: number;
}

/** Siblings: by position, then by name. */
export function bySiblingOrder(a: Orderable, b: Orderable): number {
  return a.position - b.position || a.name.localeCompare(b.name);
}

/** The children of `parentId` (null: the top level) among `all`, in order. */
export function childrenOf<T extends Orderable>(all: readonly T[], parentId: number | null): T[] {
  return all.filter((c) => c.parentId === parentId).sort(bySiblingOrder);
}

/** `list` with the item at `index` moved by `delta` places (clamped to the ends); the same list when it does not move. */
export function moveBy<T>(list: readonly T[], index: number, delta: number): readonly T[] {
  const to = Math.min(list.length - 1, Math.max(0, index + delta));
  if (index < 0 || index >= list.length || to === index) return list;
  const out = [...list];
  const [item] = out.splice(index, 1);
  out.splice(to, 0, item!);
  return out;
}
