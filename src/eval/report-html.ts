/**
 * The self-contained HTML report of `vlrerank eval`: a summary table per configuration, quality
 * against the window (inline SVG), the latency distribution per configuration (inline SVG
 * histogram), and the focus configuration's wins and losses with inlined thumbnails.
 *
 * One file, inline CSS and SVG, `data:` images only: it never references a CDN, a script or any
 * URL, so it opens offline and can be mailed. Pure: renders what it is given.
 */
import type { Preview } from './thumbnails.js';
import { winsAndLosses, type ConfigFigures, type ConfigRun, type EvalResult, type QueryRow } from './summary.js';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const f3 = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(3));
const ms = (x: number | undefined) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde3ea;padding-bottom:4px}
.meta{color:#5a6472;font-size:12.5px}.note{color:#8a5a00;font-size:12.5px}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #dde3ea;padding:4px 8px;text-align:right;vertical-align:middle}
th{background:#f3f6f9;font-weight:600;font-size:12.5px}td.l,th.l{text-align:left}.up{color:#137333;font-weight:600}.down{color:#b3261e;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:24px}.card{border:1px solid #dde3ea;border-radius:6px;padding:8px 12px}
.doc{display:flex;gap:8px;align-items:center;max-width:360px;text-align:left}.doc img{width:64px;height:64px;object-fit:cover;border-radius:4px;flex:none}
.doc span{font-size:12px;color:#3b4452}.q{max-width:300px;text-align:left}code{font-size:12px}
@media (max-width:700px){body{margin:12px}table{display:block;overflow-x:auto;max-width:100%}svg{max-width:100%;height:auto}.doc{max-width:100%}}
`;

function summaryTable(r: EvalResult): string {
  const judged = r.judged;
  const head = judged
    ? '<th class="l">configuration</th><th>queries</th><th>nDCG@10 first stage</th><th>nDCG@10 reranked</th><th>Δ</th><th>MRR@10 first → reranked</th><th>R@10 first → reranked</th><th>R@window</th>'
    : '<th class="l">configuration</th><th>queries</th>';
  const rows = r.configs.map((c) => {
    const q = judged && c.first && c.reranked;
    const d = q ? c.reranked!.ndcg10 - c.first!.ndcg10 : 0;
    const lat = c.latency.total_ms ?? c.latency.wall_ms;
    return `<tr data-config="${esc(c.name)}"><td class="l">${esc(c.name)}</td><td>${c.queries}${judged ? ` <span class="meta">(${c.judged} judged)</span>` : ''}</td>${
      q
        ? `<td data-metric="ndcg10-first">${f3(c.first!.ndcg10)}</td><td data-metric="ndcg10-reranked">${f3(c.reranked!.ndcg10)}</td><td class="${d > 0 ? 'up' : d < 0 ? 'down' : ''}">${d >= 0 ? '+' : ''}${d.toFixed(3)}</td><td>${f3(c.first!.mrr10)} → ${f3(c.reranked!.mrr10)}</td><td>${f3(c.first!.recall10)} → ${f3(c.reranked!.recall10)}</td><td>${f3(c.reranked!.recallWindow)}</td>`
        : ''
    }<td data-metric="overlap10">${f3(c.agreement.overlap10)}</td><td>${f3(c.agreement.top1Same)}</td><td>${c.agreement.meanRankShift10.toFixed(2)}</td><td data-metric="degraded">${c.degraded}</td><td>${c.documentErrors}</td><td>${ms(lat?.p50)} / ${ms(lat?.p90)}</td><td class="l"><code>${esc(Object.entries(c.featureSources).map(([k, v]) => `${k} ${v}`).join(', ') || '–')}</code></td></tr>`;
  });
  return `<table id="summary"><thead><tr>${head}<th>overlap@10</th><th>same top-1</th><th>rank shift@10</th><th>degraded</th><th>media errors</th><th>total ms p50 / p90</th><th class="l">feature sources</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Quality (or overlap@10 without judgements) against the window, one line pair per pipeline. */
function qualityChart(r: EvalResult): string {
  const W = 460;
  const H = 260;
  const L = 48;
  const B = 36;
  const groups = new Map<string, ConfigFigures[]>();
  for (const c of r.configs) groups.set(c.pipeline ?? 'default pipeline', [...(groups.get(c.pipeline ?? 'default pipeline') ?? []), c]);
  const windows = [...new Set(r.configs.map((c) => c.window))].sort((a, b) => a - b);
  const x = (w: number) => (windows.length === 1 ? L + (W - L - 20) / 2 : L + ((W - L - 20) * windows.indexOf(w)) / (windows.length - 1));
  const series: Array<{ name: string; color: string; dash?: string; pts: Array<[number, number]> }> = [];
  const colors = ['#1a73e8', '#e8710a', '#188038', '#a142f4', '#d93025'];
  [...groups.entries()].forEach(([g, cs], i) => {
    const sorted = [...cs].sort((a, b) => a.window - b.window);
    const color = colors[i % colors.length]!;
    if (r.judged) {
      series.push({ name: `${g} reranked`, color, pts: sorted.map((c) => [c.window, c.reranked?.ndcg10 ?? 0]) });
      series.push({ name: `${g} first stage`, color, dash: '5 4', pts: sorted.map((c) => [c.window, c.first?.ndcg10 ?? 0]) });
    } else series.push({ name: `${g} overlap@10`, color, pts: sorted.map((c) => [c.window, c.agreement.overlap10]) });
  });
  const vals = series.flatMap((s) => s.pts.map((p) => p[1]));
  let lo = Math.max(0, Math.floor((Math.min(...vals) - 0.05) * 10) / 10);
  let hi = Math.min(1, Math.ceil((Math.max(...vals) + 0.05) * 10) / 10);
  if (hi - lo < 0.1) [lo, hi] = [Math.max(0, lo - 0.1), Math.min(1, hi + 0.1)];
  const y = (v: number) => 12 + (H - B - 12) * (1 - (v - lo) / (hi - lo || 1));
  const ticks = Array.from({ length: 5 }, (_, i) => lo + ((hi - lo) * i) / 4);
  const parts = [
    ...ticks.map((t) => `<line x1="${L}" x2="${W - 10}" y1="${y(t)}" y2="${y(t)}" stroke="#e6eaef"/><text x="${L - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11">${t.toFixed(2)}</text>`),
    ...windows.map((w) => `<text x="${x(w)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${w}</text>`),
    `<text x="${(W + L) / 2}" y="${H - 4}" text-anchor="middle" font-size="12">rerank window</text>`,
    `<text x="12" y="${(H - B) / 2}" font-size="12" transform="rotate(-90 12 ${(H - B) / 2})" text-anchor="middle">${r.judged ? 'nDCG@10' : 'overlap@10'}</text>`,
    ...series.map(
      (s) =>
        `<polyline fill="none" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''} points="${s.pts.map(([w, v]) => `${x(w).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>` +
        s.pts.map(([w, v]) => `<circle cx="${x(w).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(s.name)} window ${w}: ${v.toFixed(3)}</title></circle>`).join(''),
    ),
  ];
  const legend = series.map((s) => `<span style="color:${s.color}">${s.dash ? '╌╌' : '━━'} ${esc(s.name)}</span>`).join(' &nbsp; ');
  return `<div class="card"><svg id="quality-chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="quality against window">${parts.join('')}</svg><div class="meta">${legend}</div></div>`;
}

/** A histogram of one configuration's per-query total (or wall) time. */
function latencyChart(run: ConfigRun): string {
  const stage = run.queries.some((q) => q.timings.total_ms !== undefined) ? 'total_ms' : 'wall_ms';
  const xs = run.queries.map((q) => (stage === 'total_ms' ? q.timings.total_ms ?? q.wallMs : q.wallMs));
  const W = 300;
  const H = 150;
  const bins = 12;
  const max = Math.max(1, ...xs);
  const counts = new Array(bins).fill(0) as number[];
  for (const v of xs) counts[Math.min(bins - 1, Math.floor((v / max) * bins))]!++;
  const top = Math.max(1, ...counts);
  const bw = (W - 20) / bins;
  const bars = counts.map((c, i) => `<rect x="${10 + i * bw}" y="${H - 28 - ((H - 40) * c) / top}" width="${bw - 2}" height="${((H - 40) * c) / top}" fill="#8ab4f8"><title>${((max * i) / bins).toFixed(0)}–${((max * (i + 1)) / bins).toFixed(0)} ms: ${c}</title></rect>`);
  const stages = [...new Set(run.queries.flatMap((q) => Object.keys(q.timings)))];
  const mean = (k: string) => {
    const v = run.queries.map((q) => q.timings[k]).filter((t): t is number => t !== undefined);
    return v.length ? v.reduce((s, t) => s + t, 0) / v.length : 0;
  };
  return `<div class="card"><b>${esc(run.name)}</b><br><svg class="latency" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${bars.join('')}<line x1="10" x2="${W - 10}" y1="${H - 28}" y2="${H - 28}" stroke="#5a6472"/><text x="10" y="${H - 12}" font-size="11">0</text><text x="${W - 10}" y="${H - 12}" font-size="11" text-anchor="end">${max.toFixed(0)} ms</text></svg><div class="meta">${esc(stage)} per query · mean by stage: ${stages.map((s) => `${esc(s)} ${ms(mean(s))}`).join(', ')}</div></div>`;
}

function doc(id: string | undefined, p: Record<string, Preview>): string {
  if (id === undefined) return '<span class="meta">–</span>';
  const v = p[id] ?? {};
  return `<div class="doc">${v.thumb ? `<img src="${v.thumb}" alt="${esc(id)}">` : ''}<span><code>${esc(id)}</code>${v.kind === 'video' ? ' (video frame)' : ''}<br>${esc(v.text ?? '')}</span></div>`;
}

/** A query's text (or id) as the report shows it: the first 300 characters — a row held a 100 KB query whole (held-out eval probe round); the JSON keeps it all. */
const clip = (t: string, n = 300) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

const pos = (x: number | null | undefined) => (x === null ? '&gt; window' : x === undefined ? '–' : `#${x}`);

function rowsTable(id: string, rows: QueryRow[], p: Record<string, Preview>, judged: boolean): string {
  if (!rows.length) return '<p class="meta">none</p>';
  const head = judged
    ? '<th class="l">query</th><th class="l">best judged document</th><th>first stage</th><th>reranked</th><th>nDCG@10</th><th class="l">first-stage top-1</th><th class="l">reranked top-1</th>'
    : '<th class="l">query</th><th class="l">first-stage top-1</th><th class="l">reranked top-1</th><th>rank shift@10</th>';
  const body = rows.map((r) => {
    const q = `<td class="q">${r.query.image || r.query.video ? doc(`query:${r.id}`, p) : ''}${esc(clip(r.query.text ?? ''))} <span class="meta">(${esc(clip(r.id, 80))})</span></td>`;
    return judged
      ? `<tr>${q}<td class="l">${doc(r.best, p)}</td><td>${pos(r.first.bestPosition)}</td><td>${pos(r.reranked.bestPosition)}</td><td>${f3(r.first.ndcg10)} → ${f3(r.reranked.ndcg10)}</td><td class="l">${doc(r.first.top, p)}</td><td class="l">${doc(r.reranked.top, p)}</td></tr>`
      : `<tr>${q}<td class="l">${doc(r.first.top, p)}</td><td class="l">${doc(r.reranked.top, p)}</td><td>${r.rankShift10.toFixed(2)}</td></tr>`;
  });
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

/** Ids whose previews the report shows (documents of the wins and losses, and `query:<id>` for media queries). */
export function previewIds(r: EvalResult, n = 8): string[] {
  const { wins, losses } = winsAndLosses(r.perQuery, n);
  return [...new Set([...wins, ...losses].flatMap((q) => [q.best, q.first.top, q.reranked.top]).filter((x): x is string => x !== undefined))];
}

export function renderReport(r: EvalResult, runs: ConfigRun[], previews: Record<string, Preview> = {}): string {
  const { wins, losses } = winsAndLosses(r.perQuery);
  const target = Object.entries(r.target).map(([k, v]) => `${esc(k)} <code>${esc(v)}</code>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>vlrerank eval — ${esc(r.target.index ?? r.target.collection ?? '')}</title><style>${CSS}</style></head><body>
<h1>vlrerank eval</h1>
<div class="meta">${target} · mode ${esc(r.mode)} · ${esc(r.created)} · ${r.judged ? `nDCG gain ${esc(r.gain)} (2^rel−1 = the repo's and BEIR's reading on binary judgements)` : 'no judgements: agreement with the first stage only'}</div>
${r.notes.map((n) => `<div class="note">${esc(n)}</div>`).join('')}
<h2>Summary</h2>
${summaryTable(r)}
<h2>Quality against the rerank window</h2>
<div class="charts">${qualityChart(r)}</div>
<h2>Latency per query</h2>
<div class="charts">${runs.map(latencyChart).join('')}</div>
<h2>${r.judged ? 'Wins' : 'Largest changes'} <span class="meta">(${esc(r.focus)})</span></h2>
${rowsTable('wins', wins, previews, r.judged)}
${r.judged ? `<h2>Losses <span class="meta">(${esc(r.focus)})</span></h2>${rowsTable('losses', losses, previews, r.judged)}` : ''}
</body></html>
`;
}
