/**
 * Who this tab is: an account (token from /auth/login or /auth/register,
 * kept in localStorage until sign-out or expiry) or a guest (nickname only,
 * kept in sessionStorage: a reload stays in, a new tab asks again).
 */
import { useSyncExternalStore } from 'react';
import type { Login, UserRow } from './api';
import { isRecord, readJson, writeJson } from './storage';

export type Auth =
  { kind: 'account'; token: string; expiresAt: string; user: UserRow } | { kind: 'guest'; name: string };

const ACCOUNT_KEY = 'parley.account';
const GUEST_KEY = 'parley.guest';

function isAccount(v: unknown): v is Extract<Auth, { kind: 'account' }> {
  return (
    isRecord(v) &&
    v.kind === 'account' &&
    typeof v.token === 'string' &&
    typeof v.expiresAt === 'string' &&
    isRecord(v.user) &&
    typeof v.user.name === 'string'
  );
}

function isGuest(v: unknown): v is Extract<Auth, { kind: 'guest' }> {
  return isRecord(v) && v.kind === 'guest' && typeof v.name === 'string';
}

function load(): Auth | null {
  const account = readJson(localStorage, ACCOUNT_KEY, isAccount);
  if (account !== null && Date.parse(account.expiresAt) > Date.now()) return account;
  return readJson(sessionStorage, GUEST_KEY, isGuest);
}

let current: Auth | null | undefined;
const listeners = new Set<() => void>();

export function getAuth(): Auth | null {
  if (current === undefined) current = load();
  return current;
}

export function setAuth(a: Auth | null): void {
  current = a;
  writeJson(localStorage, ACCOUNT_KEY, a?.kind === 'account' ? a : null);
  writeJson(sessionStorage, GUEST_KEY, a?.kind === 'guest' ? a : null);
  for (const fn of listeners) fn();
}

export function accountFrom(login: Login): Auth {
  return { kind: 'account', token: login.token, expiresAt: login.expiresAt, user: login.user };
}

/** The bearer token of the signed-in account, or null (guests and strangers). */
export function tokenOf(a: Auth | null): string | null {
  return a?.kind === 'account' ? a.token : null;
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function useAuth(): Auth | null {
  return useSyncExternalStore(subscribe, getAuth);
}
