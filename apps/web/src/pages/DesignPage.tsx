/** The living style guide (/design): every token and component of the app, in its states. */
import { useMemo, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n';
import type { Page } from '../lib/api';
import { Avatar } from '../ui/Avatar';
import { Button, IconButton } from '../ui/Button';
import { DataTable, useCursorList } from '../ui/DataTable';
import { Dialog } from '../ui/Dialog';
import { Input, Select, Slider, Toggle } from '../ui/Field';
import { LevelMeter } from '../ui/LevelMeter';
import { Tabs } from '../ui/Tabs';
import { useToast } from '../ui/Toast';
import { Tooltip } from '../ui/Tooltip';
import { Shell } from './Shell';

const COLORS = [
  'bg',
  'surface',
  'surface-2',
  'raised',
  'border',
  'border-strong',
  'text',
  'text-muted',
  'accent',
  'accent-soft',
  'danger',
  'success',
  'speaking',
  'focus',
  'warning-bg',
  'warning-text',
];

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = `ds-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className="ds-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A fake list of 45 rows, paged by an opaque cursor like the API's. */
function demoPage(cursor: string | null): Promise<Page<{ id: number; name: string }>> {
  const start = cursor === null ? 0 : Number(atob(cursor));
  const items = Array.from({ length: Math.max(0, Math.min(10, 45 - start)) }, (_, i) => ({
    id: start + i + 1,
    name: `Row ${start + i + 1}`,
  }));
  const next = start + 10 < 45 ? btoa(String(start + 10)) : null;
  return Promise.resolve({ items, nextCursor: next });
}

export function DesignPage() {
  const { t } = useI18n();
  const toast = useToast();
  const [dialog, setDialog] = useState(false);
  const [toggle, setToggle] = useState(true);
  const [slider, setSlider] = useState(-42);
  const [tab, setTab] = useState('one');
  const [pressed, setPressed] = useState(true);
  const list = useCursorList(demoPage, 'demo');
  const pager = useMemo(
    () => ({
      pageNumber: list.pageNumber,
      hasNext: list.hasNext,
      hasPrev: list.hasPrev,
      next: list.next,
      prev: list.prev,
      first: list.first,
      labels: {
        next: t('common.next'),
        prev: t('common.previous'),
        first: t('common.first'),
        page: t('common.page', { n: list.pageNumber }),
      },
    }),
    [list, t],
  );
  return (
    <Shell>
      <div className="page">
        <h1>{t('design.title')}</h1>
        <p className="muted">{t('design.intro')}</p>

        <Section title="Color">
          <div className="ds-swatches">
            {COLORS.map((c) => (
              <div key={c} className="ds-swatch">
                <div className="ds-swatch-color" style={{ background: `var(--color-${c})` }} />
                <div className="ds-swatch-name">--color-{c}</div>
              </div>
            ))}
          </div>
        </Section>

        <Section title="Type">
          <div className="stack">
            {['2xl', 'xl', 'lg', 'md', 'sm', 'xs'].map((s) => (
              <span key={s} style={{ fontSize: `var(--text-${s})` }}>
                --text-{s}: Parley — voix claire, ça parle.
              </span>
            ))}
            <span className="mono">--font-mono: 0123456789 ssrc=0x1f2e</span>
          </div>
        </Section>

        <Section title="Spacing and radius">
          <div className="ds-demo">
            {[1, 2, 3, 4, 5, 6, 7].map((n) => (
              <span key={n} className="badge" style={{ padding: `var(--space-${n})` }}>
                space-{n}
              </span>
            ))}
            {['sm', 'md', 'lg', 'full'].map((r) => (
              <span
                key={r}
                className="badge badge-accent"
                style={{ borderRadius: `var(--radius-${r})`, padding: 'var(--space-3)' }}
              >
                radius-{r}
              </span>
            ))}
          </div>
        </Section>

        <Section title="Button">
          <div className="ds-demo">
            <Button>Primary</Button>
            <Button variant="secondary">Secondary</Button>
            <Button variant="ghost">Ghost</Button>
            <Button variant="danger">Danger</Button>
            <Button icon="plus">With icon</Button>
            <Button size="sm">Small</Button>
            <Button disabled>Disabled</Button>
            <Button busy>Busy</Button>
          </div>
        </Section>

        <Section title="Icon button">
          <div className="ds-demo">
            <IconButton icon="mic" label="Mute" />
            <IconButton
              icon={pressed ? 'mic-off' : 'mic'}
              label={pressed ? 'Unmute (pressed)' : 'Mute'}
              pressed={pressed}
              onClick={() => setPressed((p) => !p)}
            />
            <IconButton icon="headphones" label="Deafen" />
            <IconButton icon="settings" label="Settings" disabled />
          </div>
        </Section>

        <Section title="Input and select">
          <div className="welcome-cards">
            <Input label="Default" placeholder="Placeholder" />
            <Input label="With a hint" hint="At least 8 characters." />
            <Input label="With an error" defaultValue="ab" error="This name is taken." />
            <Input label="Disabled" defaultValue="Read only" disabled />
            <Select
              label="Select"
              options={[
                { value: 'a', label: 'Option A' },
                { value: 'b', label: 'Option B' },
              ]}
            />
            <Select label="Select, disabled" disabled options={[{ value: 'a', label: 'Option A' }]} />
          </div>
        </Section>

        <Section title="Slider and toggle">
          <div className="welcome-cards">
            <Slider
              label="Threshold"
              value={slider}
              min={-80}
              max={0}
              format={(v) => `${v} dB`}
              onChange={setSlider}
            />
            <Slider
              label="Slider, disabled"
              value={50}
              min={0}
              max={100}
              format={(v) => `${v} %`}
              onChange={() => undefined}
              disabled
            />
            <div className="stack">
              <Toggle label={`Toggle (${toggle ? 'on' : 'off'})`} checked={toggle} onChange={setToggle} />
              <Toggle label="Toggle, off" checked={false} onChange={() => undefined} />
              <Toggle label="Toggle, disabled" checked onChange={() => undefined} disabled />
            </div>
          </div>
        </Section>

        <Section title="Dialog and toast">
          <div className="ds-demo">
            <Button variant="secondary" onClick={() => setDialog(true)}>
              Open a dialog
            </Button>
            <Button variant="secondary" onClick={() => toast.show('Saved.', 'success')}>
              Success toast
            </Button>
            <Button
              variant="secondary"
              onClick={() => toast.show('Something went wrong (PARLEY_ERR_INTERNAL).', 'error')}
            >
              Error toast
            </Button>
            <Button variant="secondary" onClick={() => toast.show('Reconnected.')}>
              Info toast
            </Button>
          </div>
          <Dialog
            open={dialog}
            title="A dialog"
            onClose={() => setDialog(false)}
            closeLabel={t('common.close')}
            actions={
              <>
                <Button variant="secondary" onClick={() => setDialog(false)}>
                  {t('common.cancel')}
                </Button>
                <Button onClick={() => setDialog(false)}>{t('common.confirm')}</Button>
              </>
            }
          >
            <p>Focus stays inside; Escape closes it; focus returns to the button that opened it.</p>
          </Dialog>
        </Section>

        <Section title="Tooltip">
          <div className="ds-demo" style={{ paddingTop: 'var(--space-7)' }}>
            <Tooltip text="Shown on hover and focus" open>
              <Button variant="secondary">Always open here</Button>
            </Tooltip>
            <Tooltip text="Shown on hover and focus">
              <Button variant="secondary">Hover or focus me</Button>
            </Tooltip>
          </div>
        </Section>

        <Section title="Avatar">
          <div className="ds-demo">
            <Avatar name="Ana Lima" />
            <Avatar name="Bruno" speaking />
            <Avatar name="Chloé Martin" size="lg" />
            <Avatar name="Dmitri" size="lg" speaking />
          </div>
        </Section>

        <Section title="Level meter">
          <div className="stack" style={{ maxWidth: '24rem' }}>
            <LevelMeter label="Quiet" db={-70} />
            <LevelMeter label="Speaking, with threshold" db={-24} thresholdDb={-50} />
            <LevelMeter label="Below the threshold (not sent)" db={-58} thresholdDb={-50} active={false} />
            <LevelMeter label="Silent" db={-Infinity} />
          </div>
        </Section>

        <Section title="Tabs">
          <Tabs
            label="Demo tabs"
            tabs={[
              { id: 'one', label: 'First' },
              { id: 'two', label: 'Second' },
              { id: 'three', label: 'Third' },
            ]}
            selected={tab}
            onSelect={setTab}
          >
            <p>Panel of the {tab} tab. Arrow keys move between tabs.</p>
          </Tabs>
        </Section>

        <Section title="Table with cursor pagination">
          <DataTable
            caption="Demo rows"
            columns={[
              { key: 'id', header: 'Id', render: (r) => r.id },
              { key: 'name', header: 'Name', render: (r) => r.name },
            ]}
            rows={list.items}
            rowKey={(r) => r.id}
            emptyText={t('common.empty')}
            pager={pager}
          />
        </Section>

        <Section title="Badge and banner">
          <div className="stack">
            <div className="ds-demo">
              <span className="badge">Badge</span>
              <span className="badge badge-accent">Accent badge</span>
            </div>
            <div className="banner" role="status">
              Connection lost: reconnecting (attempt 2)…
            </div>
          </div>
        </Section>
      </div>
    </Shell>
  );
}
