/**
 * A tooltip shown on hover and keyboard focus. It repeats the control's own
 * accessible name visually, so it is hidden from assistive technology.
 */
import type { ReactNode } from 'react';

export function Tooltip({ text, children, open }: { text: string; children: ReactNode; open?: boolean }) {
  return (
    <span className="tooltip-host">
      {children}
      <span className="tooltip" aria-hidden="true" data-open={open === true ? 'true' : undefined}>
        {text}
      </span>
    </span>
  );
}
