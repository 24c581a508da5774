import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ALL_PERMS,
  Perm,
  ROLES,
  atLeast,
  effectivePerms,
  may,
  permMask,
  permNames,
  type ActorRole,
} from './permissions.js';

describe('permissions', () => {
  it('gives each role its defaults with no overrides', () => {
    expect(may('guest', Perm.Speak, [])).toBe(true);
    expect(may('guest', Perm.Whisper, [])).toBe(false);
    expect(may('member', Perm.Whisper, [])).toBe(true);
    expect(may('member', Perm.ManageChannel, [])).toBe(false);
    expect(may('moderator', Perm.MoveKick, [])).toBe(true);
    expect(effectivePerms('admin', [])).toBe(ALL_PERMS);
  });

  it('lets children inherit a parent’s override and the nearest level decide', () => {
    const root = [{ role: 'member', allow: 0, deny: Perm.Speak }];
    const child = [{ role: 'member', allow: Perm.Speak, deny: 0 }];
    expect(may('member', Perm.Speak, [root])).toBe(false);
    expect(may('member', Perm.Speak, [root, []])).toBe(false); // inherited
    expect(may('member', Perm.Speak, [root, child])).toBe(true); // nearest wins
    expect(may('guest', Perm.Speak, [root])).toBe(true); // other roles untouched
  });

  it('never locks an admin out', () => {
    const denyAll = [{ role: 'admin', allow: 0, deny: ALL_PERMS }];
    expect(may('admin', Perm.Enter | Perm.ManageChannel, [denyAll])).toBe(true);
  });

  it('is monotonic: allowing more never takes anything away (property)', () => {
    const override = fc.record({
      role: fc.constantFrom(...ROLES),
      allow: fc.integer({ min: 0, max: ALL_PERMS }),
      deny: fc.integer({ min: 0, max: ALL_PERMS }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom<ActorRole>(...ROLES),
        fc.array(fc.array(override, { maxLength: 3 }), { maxLength: 4 }),
        fc.integer({ min: 0, max: ALL_PERMS }),
        (role, chain, extra) => {
          const before = effectivePerms(role, chain);
          const after = effectivePerms(role, [...chain, [{ role, allow: extra, deny: 0 }]]);
          expect(after & before).toBe(before);
          expect(after & extra).toBe(extra);
        },
      ),
    );
  });

  it('ranks roles and maps names to masks', () => {
    expect(atLeast('admin', 'moderator')).toBe(true);
    expect(atLeast('member', 'moderator')).toBe(false);
    expect(permMask(['Enter', 'Speak'])).toBe(Perm.Enter | Perm.Speak);
    expect(permNames(Perm.Text | Perm.MoveKick)).toEqual(['Text', 'MoveKick']);
    expect(() => permMask(['Fly'])).toThrow(RangeError);
  });
});
