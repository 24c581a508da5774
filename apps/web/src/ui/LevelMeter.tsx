/**
 * A level meter for dBFS values (−100…0): a bar, and optionally the voice
 * activation threshold as a mark. `role="meter"` with its value as text.
 */

export const METER_FLOOR_DB = -80;

/** dBFS → 0…1 on the meter's scale (−80 dB is empty, 0 dB is full). */
export function meterFraction(db: number): number {
  if (!Number.isFinite(db)) return 0;
  return Math.min(1, Math.max(0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB));
}

export interface LevelMeterProps {
  label: string;
  db: number;
  thresholdDb?: number;
  /** Whether the sound passes (sending): the bar's color. */
  active?: boolean;
  /** Shows the label above the bar too. */
  showLabel?: boolean;
}

export function LevelMeter({ label, db, thresholdDb, active = true, showLabel = false }: LevelMeterProps) {
  const shown = Number.isFinite(db) ? Math.round(Math.max(db, -100)) : -100;
  const meter = (
    <div
      className="meter"
      role="meter"
      aria-label={label}
      aria-valuemin={-100}
      aria-valuemax={0}
      aria-valuenow={shown}
      aria-valuetext={`${shown} dB`}
    >
      <div className="meter-fill" data-active={active} style={{ width: `${meterFraction(db) * 100}%` }} />
      {thresholdDb !== undefined && (
        <div
          className="meter-threshold"
          style={{ left: `calc(${meterFraction(thresholdDb) * 100}% - 1px)` }}
        />
      )}
    </div>
  );
  if (!showLabel) return meter;
  return (
    <div className="field">
      <span className="field-label" aria-hidden="true">
        {label}
      </span>
      {meter}
    </div>
  );
}
