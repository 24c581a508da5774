/**
 * An admin form in a dialog, with Cancel and a submit button: `submit`
 * sends the request; when it succeeds the dialog calls `onDone` and
 * closes, when it fails it stays open with the server's message
 * (`describeError`), which the form shows where `children(error)` puts it.
 */
import { useState, type ReactNode } from 'react';
import { describeError, useI18n } from '../i18n';
import { Button } from '../ui/Button';
import { Dialog } from '../ui/Dialog';

/** What every admin form dialog is given: the admin's token, and what to call when it closes or succeeds. */
export interface AdminDialogProps {
  token: string;
  onClose: () => void;
  onDone: () => void;
}

export function FormDialog({
  title,
  submitLabel,
  danger = false,
  onClose,
  onDone,
  submit,
  children,
}: {
  title: string;
  submitLabel: string;
  danger?: boolean;
  onClose: () => void;
  onDone: () => void;
  submit: () => Promise<unknown>;
  children: (error: string | null) => ReactNode;
}) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      await submit();
      onDone();
      onClose();
    } catch (err) {
      setError(describeError(t, err));
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      title={title}
      onClose={onClose}
      closeLabel={t('common.close')}
      onSubmit={() => void run()}
      actions={
        <>
          <Button variant="secondary" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" {...(danger ? { variant: 'danger' as const } : {})} busy={busy}>
            {submitLabel}
          </Button>
        </>
      }
    >
      {children(error)}
    </Dialog>
  );
}
