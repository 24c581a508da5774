/**
 * Toasts: short messages in a polite live region (errors: assertive), each
 * closable, gone by itself after a few seconds. A toast shown with a `key`
 * replaces the one with the same key (a device unplugged, then back: only
 * the latest news stays). Timers end on unmount.
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { IconButton } from './Button';

export type ToastKind = 'info' | 'success' | 'error';

interface ToastItem {
  id: number;
  kind: ToastKind;
  text: string;
  key?: string;
}

interface ToastApi {
  show: (text: string, kind?: ToastKind, key?: string) => void;
}

const ToastContext = createContext<ToastApi>({ show: () => undefined });
const LIFETIME_MS = 6000;
const MAX_TOASTS = 4;

export function ToastProvider({ children, closeLabel }: { children: ReactNode; closeLabel: string }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  const nextId = useRef(1);
  const dismiss = useCallback((id: number) => {
    const t = timers.current.get(id);
    if (t !== undefined) clearTimeout(t);
    timers.current.delete(id);
    setItems((xs) => xs.filter((x) => x.id !== id));
  }, []);
  const show = useCallback(
    (text: string, kind: ToastKind = 'info', key?: string) => {
      const id = nextId.current++;
      // A replaced toast's timer still runs out: dismissing an id no longer shown changes nothing.
      setItems((xs) =>
        [
          ...(key === undefined ? xs : xs.filter((x) => x.key !== key)),
          key === undefined ? { id, kind, text } : { id, kind, text, key },
        ].slice(-MAX_TOASTS),
      );
      timers.current.set(
        id,
        setTimeout(() => dismiss(id), LIFETIME_MS),
      );
    },
    [dismiss],
  );
  useEffect(() => {
    const all = timers.current;
    return () => {
      for (const t of all.values()) clearTimeout(t);
      all.clear();
    };
  }, []);
  const api = useMemo(() => ({ show }), [show]);
  return (
    <ToastContext.Provider value={api}>
      {children}
      <ToastList items={items} onDismiss={dismiss} closeLabel={closeLabel} />
    </ToastContext.Provider>
  );
}

export function ToastList({
  items,
  onDismiss,
  closeLabel,
}: {
  items: readonly ToastItem[];
  onDismiss: (id: number) => void;
  closeLabel: string;
}) {
  return (
    <div className="toasts">
      <div role="status" aria-live="polite" className="stack">
        {items
          .filter((x) => x.kind !== 'error')
          .map((x) => (
            <ToastView key={x.id} item={x} onDismiss={onDismiss} closeLabel={closeLabel} />
          ))}
      </div>
      <div role="alert" aria-live="assertive" className="stack">
        {items
          .filter((x) => x.kind === 'error')
          .map((x) => (
            <ToastView key={x.id} item={x} onDismiss={onDismiss} closeLabel={closeLabel} />
          ))}
      </div>
    </div>
  );
}

function ToastView({
  item,
  onDismiss,
  closeLabel,
}: {
  item: ToastItem;
  onDismiss: (id: number) => void;
  closeLabel: string;
}) {
  return (
    <div className={`toast toast-${item.kind}`}>
      <span className="toast-text">{item.text}</span>
      <IconButton icon="close" label={closeLabel} tooltip={false} onClick={() => onDismiss(item.id)} />
    </div>
  );
}

export function useToast(): ToastApi {
  return useContext(ToastContext);
}
