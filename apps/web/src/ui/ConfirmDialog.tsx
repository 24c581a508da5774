/** "Are you sure?" for a destructive action, in the app's own dialog (focus trapped, Escape cancels). */
import { useState, type ReactNode } from 'react';
import { Button } from './Button';
import { Dialog } from './Dialog';

export interface ConfirmState {
  title: string;
  confirmLabel: string;
  run: () => Promise<unknown>;
}

export function ConfirmDialog({
  state,
  onClose,
  cancelLabel,
  closeLabel,
  children,
}: {
  state: ConfirmState | null;
  onClose: () => void;
  cancelLabel: string;
  closeLabel: string;
  children?: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const confirm = () => {
    if (state === null) return;
    setBusy(true);
    // The action reports its own failure (a toast); the dialog closes either way.
    void state
      .run()
      .catch(() => undefined)
      .finally(() => {
        setBusy(false);
        onClose();
      });
  };
  return (
    <Dialog
      open={state !== null}
      title={state?.title ?? ''}
      onClose={onClose}
      closeLabel={closeLabel}
      onSubmit={confirm}
      actions={
        <>
          <Button variant="secondary" onClick={onClose}>
            {cancelLabel}
          </Button>
          <Button type="submit" variant="danger" busy={busy}>
            {state?.confirmLabel ?? ''}
          </Button>
        </>
      }
    >
      {children}
    </Dialog>
  );
}
