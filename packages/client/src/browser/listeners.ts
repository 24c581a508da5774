/** A typed set of listeners per event, each event with its own argument list. */
export class Listeners<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly sets = new Map<keyof Events, Set<unknown>>();

  on<K extends keyof Events>(ev: K, fn: (...args: Events[K]) => void): () => void {
    let set = this.sets.get(ev);
    if (set === undefined) {
      set = new Set();
      this.sets.set(ev, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  has<K extends keyof Events>(ev: K): boolean {
    return (this.sets.get(ev)?.size ?? 0) > 0;
  }

  emit<K extends keyof Events>(ev: K, ...args: Events[K]): void {
    const set = this.sets.get(ev);
    if (set === undefined) return;
    for (const fn of [...set]) (fn as (...a: Events[K]) => void)(...args);
  }

  /** Listeners registered (all events). */
  get count(): number {
    let n = 0;
    for (const s of this.sets.values()) n += s.size;
    return n;
  }

  clear(): void {
    this.sets.clear();
  }
}
