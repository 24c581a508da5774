/**
 * A modal dialog on the native <dialog> element: the browser traps focus,
 * closes on Escape and restores focus to the opener. `open` drives it.
 */
import { useEffect, useId, useRef, type FormEvent, type ReactNode } from 'react';
import { IconButton } from './Button';

export interface DialogProps {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Given: the body is a form, submitted by Enter or a submit button. */
  onSubmit?: () => void;
  actions?: ReactNode;
  closeLabel?: string;
  /** Room for a table (the permissions grid). */
  wide?: boolean;
}

export function Dialog({
  open,
  title,
  onClose,
  children,
  onSubmit,
  actions,
  closeLabel = 'Close',
  wide = false,
}: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    if (open && !d.open) d.showModal();
    else if (!open && d.open) d.close();
  }, [open]);
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    const onCancel = (e: Event) => {
      e.preventDefault();
      onClose();
    };
    d.addEventListener('cancel', onCancel);
    return () => d.removeEventListener('cancel', onCancel);
  }, [onClose]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit?.();
  };
  const body = (
    <>
      <div className="row">
        <h2 id={titleId} style={{ margin: 0 }}>
          {title}
        </h2>
        <span className="spacer" />
        <IconButton icon="close" label={closeLabel} onClick={onClose} tooltip={false} />
      </div>
      {children}
      {actions !== undefined && <div className="dialog-actions">{actions}</div>}
    </>
  );
  return (
    <dialog ref={ref} className={`dialog ${wide ? 'dialog-wide' : ''}`} aria-labelledby={titleId}>
      {open &&
        (onSubmit === undefined ? (
          <div className="dialog-body">{body}</div>
        ) : (
          <form className="dialog-body" onSubmit={submit} noValidate>
            {body}
          </form>
        ))}
    </dialog>
  );
}
