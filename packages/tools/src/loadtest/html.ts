/**
 * The report as one self-contained HTML page: the summary table, inline SVG
 * charts (packets/s over time, RTT and jitter percentiles over time, server
 * CPU, the server's forwarding-time histogram) and the report's JSON. No
 * script, no external asset, no dependency.
 */
import { formatTable, type LoadReport } from './report.js';

const W = 760;
const H = 260;
const M = { left: 64, right: 16, top: 34, bottom: 36 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round number ≥ v (1, 2 or 5 × 10^k). */
function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/** The top of a y axis with 4 round steps above the largest value. */
function niceTop(max: number): number {
  return 4 * niceCeil((max * 1.05) / 4);
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 10_000) return `${(v / 1000).toFixed(0)}k`;
  if (Math.abs(v) >= 1000) return `${(v / 1000).toFixed(1)}k`;
  if (Math.abs(v) >= 10) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(1);
  return v.toPrecision(2);
}

function frame(title: string, yLabel: string, yMax: number, xAxis: string, body: string): string {
  const ph = H - M.top - M.bottom;
  const pw = W - M.left - M.right;
  let grid = '';
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    const y = M.top + ph - (ph * k) / 4;
    grid += `<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`;
    grid += `<text x="${M.left - 6}" y="${y + 4}" text-anchor="end">${fmt(v)}</text>`;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">` +
    `<style>text{font:11px sans-serif;fill:#333}.t{font:bold 13px sans-serif}</style>` +
    `<text class="t" x="${M.left}" y="18">${esc(title)}</text>` +
    `<text x="14" y="${M.top + ph / 2}" transform="rotate(-90 14 ${M.top + ph / 2})" text-anchor="middle">${esc(yLabel)}</text>` +
    grid +
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#999"/>` +
    `<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#999"/>` +
    xAxis +
    body +
    `</svg>`
  );
}

/** Lines over time (x = seconds into the window). */
export function lineChart(title: string, yLabel: string, series: Series[]): string {
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMax = niceTop(Math.max(0, ...all.map((p) => p[1])));
  const ph = H - M.top - M.bottom;
  const pw = W - M.left - M.right;
  const x = (v: number): number => M.left + (pw * v) / xMax;
  const y = (v: number): number => M.top + ph - (ph * v) / yMax;
  let xAxis = '';
  const step = niceCeil(xMax / 8);
  for (let v = 0; v <= xMax + 1e-9; v += step)
    xAxis += `<text x="${x(v).toFixed(1)}" y="${M.top + ph + 14}" text-anchor="middle">${fmt(v)}</text>`;
  xAxis += `<text x="${M.left + pw / 2}" y="${H - 4}" text-anchor="middle">seconds into the measured window</text>`;
  let body = '';
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] ?? '#000';
    if (s.points.length > 0) {
      const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`);
      body += `<path d="${d.join('')}" fill="none" stroke="${color}" stroke-width="1.8"${s.dashed === true ? ' stroke-dasharray="5 3"' : ''}/>`;
    }
    const lx = M.left + 8 + i * 150;
    body += `<line x1="${lx}" x2="${lx + 18}" y1="${M.top - 6}" y2="${M.top - 6}" stroke="${color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="5 3"' : ''}/>`;
    body += `<text x="${lx + 22}" y="${M.top - 2}">${esc(s.name)}</text>`;
  });
  return frame(title, yLabel, yMax, xAxis, body);
}

/** Bars, one per bucket (log-spaced buckets, so the x axis is logarithmic). */
export function barChart(title: string, yLabel: string, bars: { label: string; value: number }[]): string {
  const yMax = niceTop(Math.max(0, ...bars.map((b) => b.value)));
  const ph = H - M.top - M.bottom;
  const pw = W - M.left - M.right;
  const n = Math.max(1, bars.length);
  const bw = pw / n;
  const every = Math.max(1, Math.ceil(n / 12));
  let body = '';
  let xAxis = '';
  bars.forEach((b, i) => {
    const h = (ph * b.value) / yMax;
    body += `<rect x="${(M.left + i * bw + 1).toFixed(1)}" y="${(M.top + ph - h).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[0] ?? '#000'}"><title>≤ ${esc(b.label)}: ${b.value}</title></rect>`;
    if (i % every === 0)
      xAxis += `<text x="${(M.left + i * bw + bw / 2).toFixed(1)}" y="${M.top + ph + 14}" text-anchor="middle">${esc(b.label)}</text>`;
  });
  xAxis += `<text x="${M.left + pw / 2}" y="${H - 4}" text-anchor="middle">bucket upper bound (µs)</text>`;
  return frame(title, yLabel, yMax, xAxis, body);
}

/**
 * The server's buckets are 2^(i/4) µs: the empty ones between the first and
 * the last are put back, so that bar positions stay on a log scale.
 */
function logBuckets(buckets: { leUs: number; count: number }[]): { label: string; value: number }[] {
  const index = (le: number): number => Math.round(Math.log2(Math.max(1, le)) * 4);
  const first = buckets[0];
  const last = buckets.at(-1);
  if (first === undefined || last === undefined) return [];
  const byIndex = new Map(buckets.map((b) => [index(b.leUs), b.count]));
  const out: { label: string; value: number }[] = [];
  for (let i = index(first.leUs); i <= index(last.leUs); i++)
    out.push({ label: fmt(2 ** (i / 4)), value: byIndex.get(i) ?? 0 });
  return out;
}

/** The whole page. */
export function renderHtml(r: LoadReport): string {
  const t = r.timeline;
  const charts: string[] = [];
  charts.push(
    lineChart('Packets per second', 'packets/s', [
      { name: 'clients sent', points: t.map((p) => [p.t, p.sentPerSecond]) },
      { name: 'clients received', points: t.map((p) => [p.t, p.receivedPerSecond]) },
      ...(r.serverTimeline.length > 0
        ? [
            {
              name: 'server in',
              points: r.serverTimeline.map((p): [number, number] => [p.t, p.packetsInPerSecond]),
              dashed: true,
            },
            {
              name: 'server out',
              points: r.serverTimeline.map((p): [number, number] => [p.t, p.packetsOutPerSecond]),
              dashed: true,
            },
          ]
        : []),
    ]),
  );
  charts.push(
    lineChart('Round-trip time (media PING → PONG), per second', 'ms', [
      { name: 'p50', points: t.map((p) => [p.t, p.rttMs.p50]) },
      { name: 'p95', points: t.map((p) => [p.t, p.rttMs.p95]) },
      { name: 'p99', points: t.map((p) => [p.t, p.rttMs.p99]) },
    ]),
  );
  charts.push(
    lineChart('Interarrival jitter (RFC 3550) across streams', 'ms', [
      { name: 'p50', points: t.map((p) => [p.t, p.jitterMs.p50]) },
      { name: 'p95', points: t.map((p) => [p.t, p.jitterMs.p95]) },
      { name: 'p99', points: t.map((p) => [p.t, p.jitterMs.p99]) },
    ]),
  );
  if (r.serverTimeline.length > 0)
    charts.push(
      lineChart('Server CPU', '% of one core', [
        { name: 'server CPU', points: r.serverTimeline.map((p) => [p.t, p.cpuPercent]) },
      ]),
    );
  if (r.server !== null) {
    const f = r.server.forwardUs;
    charts.push(
      barChart(
        `Server forwarding time: p50 ${f.p50Us} µs, p95 ${f.p95Us} µs, p99 ${f.p99Us} µs (${f.count} packets)`,
        'packets',
        logBuckets(f.buckets),
      ),
    );
  }
  const json = JSON.stringify(r, null, 2);
  const o = r.options;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Parley load test — ${o.clients} clients, ${o.channels} channels</title>
<style>body{font:14px/1.4 sans-serif;margin:24px;color:#222;max-width:1100px}pre{background:#f6f6f6;padding:12px;overflow:auto;font-size:12px}svg{display:block;margin:18px 0;max-width:100%;height:auto}</style>
</head><body>
<h1>Parley load test</h1>
<p>${esc(r.startedAt)} — ${esc(o.server)}</p>
<pre>${esc(formatTable(r))}</pre>
${charts.join('\n')}
<details><summary>Report (JSON)</summary><pre>${esc(json)}</pre></details>
</body></html>
`;
}
