/** Form controls with their labels: Input, Select, Slider, Toggle. Each has an accessible name. */
import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';

interface FieldShell {
  label: string;
  hint?: string;
  error?: string | null;
}

function Shell({ id, label, hint, error, children }: FieldShell & { id: string; children: ReactNode }) {
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children}
      {hint !== undefined && (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error != null && error !== '' && (
        <span className="error-text" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

function describedBy(
  id: string,
  hint: string | undefined,
  error: string | null | undefined,
): string | undefined {
  const ids = [hint !== undefined ? `${id}-hint` : '', error != null && error !== '' ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return ids === '' ? undefined : ids;
}

export type InputProps = FieldShell & Omit<InputHTMLAttributes<HTMLInputElement>, 'id'>;

export function Input({ label, hint, error, className, ...rest }: InputProps) {
  const id = useId();
  return (
    <Shell id={id} label={label} {...(hint === undefined ? {} : { hint })} error={error ?? null}>
      <input
        id={id}
        className={`input ${className ?? ''}`}
        aria-invalid={error != null && error !== '' ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        {...rest}
      />
    </Shell>
  );
}

export interface Option {
  value: string;
  label: string;
}

export type SelectProps = FieldShell &
  Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'> & { options: readonly Option[] };

export function Select({ label, hint, error, options, className, ...rest }: SelectProps) {
  const id = useId();
  return (
    <Shell id={id} label={label} {...(hint === undefined ? {} : { hint })} error={error ?? null}>
      <select
        id={id}
        className={`select ${className ?? ''}`}
        aria-describedby={describedBy(id, hint, error)}
        {...rest}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Shell>
  );
}

export interface SliderProps {
  label: string;
  value: number;
  min: number;
  max: number;
  step?: number;
  onChange: (v: number) => void;
  /** What the value means to a person (`-42 dB`, `80 %`): shown and announced. */
  format?: (v: number) => string;
  disabled?: boolean;
  hint?: string;
}

export function Slider({ label, value, min, max, step = 1, onChange, format, disabled, hint }: SliderProps) {
  const id = useId();
  const text = format?.(value) ?? String(value);
  return (
    <Shell id={id} label={label} {...(hint === undefined ? {} : { hint })}>
      <div className="slider-row">
        <input
          id={id}
          type="range"
          className="slider"
          min={min}
          max={max}
          step={step}
          value={value}
          disabled={disabled}
          aria-valuetext={text}
          aria-describedby={describedBy(id, hint, null)}
          onChange={(e) => onChange(Number(e.currentTarget.value))}
        />
        <output className="slider-value" htmlFor={id}>
          {text}
        </output>
      </div>
    </Shell>
  );
}

export interface ToggleProps {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  disabled?: boolean;
  hint?: string;
}

/** A switch: a button with role="switch" and aria-checked; Space and Enter toggle it. */
export function Toggle({ label, checked, onChange, disabled, hint }: ToggleProps) {
  const id = useId();
  return (
    <div className="field">
      <button
        type="button"
        role="switch"
        className="toggle"
        aria-checked={checked}
        disabled={disabled}
        aria-describedby={hint === undefined ? undefined : `${id}-hint`}
        onClick={() => onChange(!checked)}
      >
        <span className="toggle-track" aria-hidden="true">
          <span className="toggle-thumb" />
        </span>
        <span>{label}</span>
      </button>
      {hint !== undefined && (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
    </div>
  );
}
