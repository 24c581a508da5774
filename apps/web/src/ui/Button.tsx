/** Button and IconButton. An icon button always has an accessible name (`label`), shown as its tooltip. */
import { forwardRef, type ButtonHTMLAttributes, type ReactNode } from 'react';
import { Icon, type IconName } from './icons';
import { Tooltip } from './Tooltip';

export type ButtonVariant = 'primary' | 'secondary' | 'ghost' | 'danger';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant;
  size?: 'md' | 'sm';
  block?: boolean;
  icon?: IconName;
  busy?: boolean;
  children?: ReactNode;
}

export const Button = forwardRef<HTMLButtonElement, ButtonProps>(function Button(
  {
    variant = 'primary',
    size = 'md',
    block = false,
    icon,
    busy = false,
    className,
    children,
    type,
    disabled,
    ...rest
  },
  ref,
) {
  const cls = [
    'btn',
    `btn-${variant}`,
    size === 'sm' ? 'btn-sm' : '',
    block ? 'btn-block' : '',
    className ?? '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <button
      ref={ref}
      type={type ?? 'button'}
      className={cls}
      disabled={disabled === true || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {icon !== undefined && <Icon name={icon} className="icon icon-sm" />}
      {children}
    </button>
  );
});

export interface IconButtonProps extends Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'children'> {
  icon: IconName;
  /** The accessible name, also the tooltip. */
  label: string;
  /** A toggle button whose label stays the same: aria-pressed. */
  pressed?: boolean;
  /**
   * Shown as on, without aria-pressed: for a button whose label already
   * says the state ("Mute" / "Unmute"), where "Unmute, pressed" would
   * contradict itself to a screen reader.
   */
  on?: boolean;
  tooltip?: boolean;
}

export const IconButton = forwardRef<HTMLButtonElement, IconButtonProps>(function IconButton(
  { icon, label, pressed, on, tooltip = true, className, type, ...rest },
  ref,
) {
  const button = (
    <button
      ref={ref}
      type={type ?? 'button'}
      className={`icon-btn${on === true ? ' is-on' : ''} ${className ?? ''}`}
      aria-label={label}
      aria-pressed={pressed}
      {...rest}
    >
      <Icon name={icon} />
    </button>
  );
  return tooltip ? <Tooltip text={label}>{button}</Tooltip> : button;
});
