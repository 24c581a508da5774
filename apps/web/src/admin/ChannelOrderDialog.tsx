/**
 * The order of a channel's children, or of the top-level channels, in a
 * dialog: each channel has Move up and Move down (from the keyboard: Tab to
 * a button, Enter or Space; the focus stays with the channel that moved,
 * and a status line says where it went). Saved at once with
 * `PUT /channels/order`; when the channels changed meanwhile the server
 * refuses (PARLEY_ERR_CHANNEL_ORDER), and the dialog says so and shows them
 * as they are now.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError, api, type ChannelRow, type Page } from '../lib/api';
import { childrenOf, moveBy } from '../lib/order';
import { useI18n } from '../i18n';
import { IconButton } from '../ui/Button';
import { Select } from '../ui/Field';
import { ErrorLine } from './common';
import { FormDialog, type AdminDialogProps } from './FormDialog';

type Direction = 'up' | 'down';

export function ChannelOrderDialog({
  token,
  all,
  onClose,
  onDone,
}: AdminDialogProps & {
  /** The channels known to the page: the parents to choose from. */
  all: readonly ChannelRow[];
}) {
  const { t } = useI18n();
  const [parent, setParent] = useState('');
  const parentId = parent === '' ? null : Number(parent);
  /** The children as they will be saved; null while they load. */
  const [order, setOrder] = useState<readonly ChannelRow[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  /** Bumped to read the children again (after a refused save). */
  const [tick, setTick] = useState(0);
  const [said, setSaid] = useState('');
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const [focus, setFocus] = useState<{ id: number; dir: Direction } | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    setOrder(null);
    setLoadError(null);
    api<Page<ChannelRow>>('/channels', {
      token,
      signal: ctl.signal,
      query: { parentId: parentId ?? 0, limit: 200 },
    }).then(
      (p) => setOrder(childrenOf(p.items, parentId)),
      (err: unknown) => !ctl.signal.aborted && setLoadError(err),
    );
    return () => ctl.abort();
  }, [token, parentId, tick]);

  // After a move the channel's button may have been moved in the page, or disabled at an end:
  // the focus goes back to it, or to its other button.
  useLayoutEffect(() => {
    if (focus === null) return;
    const other: Direction = focus.dir === 'up' ? 'down' : 'up';
    const same = buttons.current.get(`${focus.id}:${focus.dir}`);
    (same?.disabled === false ? same : buttons.current.get(`${focus.id}:${other}`))?.focus();
  }, [order, focus]);

  const move = (index: number, dir: Direction) => {
    if (order === null) return;
    const next = moveBy(order, index, dir === 'up' ? -1 : 1);
    const c = order[index];
    if (next === order || c === undefined) return;
    setOrder(next);
    setFocus({ id: c.id, dir });
    setSaid(t('admin.movedTo', { name: c.name, n: next.indexOf(c) + 1, total: next.length }));
  };

  const parentName =
    parentId === null ? t('admin.topLevel') : (all.find((c) => c.id === parentId)?.name ?? `#${parentId}`);
  const parents = [
    { value: '', label: t('admin.topLevel') },
    ...all
      .filter((c) => all.some((x) => x.parentId === c.id))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((c) => ({ value: String(c.id), label: c.name })),
  ];
  const submit = async () => {
    if (order === null) return;
    try {
      await api('/channels/order', {
        method: 'PUT',
        token,
        body: { parentId, ids: order.map((c) => c.id) },
      });
    } catch (err) {
      // Someone added, moved or deleted one of them: show them as they are now.
      if (err instanceof ApiError && err.code === 'PARLEY_ERR_CHANNEL_ORDER') setTick((n) => n + 1);
      throw err;
    }
  };
  const ref = (id: number, dir: Direction) => (el: HTMLButtonElement | null) => {
    if (el === null) buttons.current.delete(`${id}:${dir}`);
    else buttons.current.set(`${id}:${dir}`, el);
  };

  return (
    <FormDialog
      title={t('admin.orderChannels')}
      submitLabel={t('common.save')}
      onClose={onClose}
      onDone={onDone}
      submit={submit}
    >
      {(error) => (
        <>
          <Select
            label={t('admin.parent')}
            value={parent}
            options={parents}
            error={error}
            onChange={(e) => setParent(e.currentTarget.value)}
          />
          {loadError !== null && order === null ? (
            <ErrorLine error={loadError} />
          ) : order === null ? (
            <p className="muted">{t('common.loading')}</p>
          ) : order.length === 0 ? (
            <p className="muted">{t('common.empty')}</p>
          ) : (
            <ol className="order-list" aria-label={t('admin.orderOf', { name: parentName })}>
              {order.map((c, i) => (
                <li key={c.id} className="order-item" data-channel-order={c.name}>
                  <span className="order-index" aria-hidden="true">
                    {i + 1}
                  </span>
                  <span className="order-name">{c.name}</span>
                  <IconButton
                    ref={ref(c.id, 'up')}
                    icon="chevron-up"
                    label={t('admin.moveUp', { name: c.name })}
                    tooltip={false}
                    disabled={i === 0}
                    onClick={() => move(i, 'up')}
                  />
                  <IconButton
                    ref={ref(c.id, 'down')}
                    icon="chevron-down"
                    label={t('admin.moveDown', { name: c.name })}
                    tooltip={false}
                    disabled={i === order.length - 1}
                    onClick={() => move(i, 'down')}
                  />
                </li>
              ))}
            </ol>
          )}
          <p role="status" className="visually-hidden">
            {said}
          </p>
        </>
      )}
    </FormDialog>
  );
}
