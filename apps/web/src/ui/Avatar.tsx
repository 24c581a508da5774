/** A person's initials on a color of their own, with a ring while they speak. */

const HUES = [262, 200, 160, 20, 330, 45, 290, 120, 0, 220];

/** A stable color for a name (dark enough for white initials: 4.5:1). */
export function avatarColor(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return `hsl(${HUES[h % HUES.length] ?? 262} 50% 30%)`;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = [...(parts[0] ?? '?')][0] ?? '?';
  const second = parts.length > 1 ? ([...(parts[1] ?? '')][0] ?? '') : ([...(parts[0] ?? '')][1] ?? '');
  return (first + second).toUpperCase();
}

export function Avatar({
  name,
  speaking = false,
  size = 'md',
}: {
  name: string;
  speaking?: boolean;
  size?: 'md' | 'lg';
}) {
  return (
    <span
      className={`avatar ${size === 'lg' ? 'avatar-lg' : ''}`}
      data-speaking={speaking ? 'true' : 'false'}
      style={{ background: avatarColor(name) }}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  );
}
