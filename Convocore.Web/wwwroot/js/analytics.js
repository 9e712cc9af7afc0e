// Call analytics (issue 6): figures and charts over a time range, per-number volume, and the call log with filters.
// Reads GET /api/analytics, GET /api/numbers/{phoneNumber}/analytics and GET /api/calls with the field names they
// answer (README "Analytics and call log"). On a server without them (404) a notice replaces the page.
import { $, el, setText } from './dom.js';
import { get, listNumbers, ApiError } from './api.js';

const Ranges = [
  { value: '1', label: 'Last 24 hours' },
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
  { value: 'custom', label: 'Custom range' },
];
// Indexed by Date.getUTCDay() (0 is Sunday), as the heat map's grid is built from callsByHour; rows show Monday first
// like the API's callsByDayOfWeek.
const Weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const HeatRows = [1, 2, 3, 4, 5, 6, 0];
const Palette = ['#1f5fbf', '#1e7a3c', '#b3261e', '#c98a00', '#6a3fb5', '#0f7c8c', '#7a4b1e', '#5b6472'];

// The figures refresh on this timer while the page shows (and the tab is visible), and when calls its range covers
// have ended (a live "Calls" change, throttled by the silos); never on another live change: a number or agent change
// does not move them.
const RefreshEvery = 60_000;
// Calls changes of one burst (one per silo per throttle window) arrive close together: one fetch for all of them.
const CoalesceFor = 300;
const Day = 86_400_000;
const DefaultRangeDays = 30; // the API's range when the custom range leaves `from` empty

let built = false;
let timer = null;
let soon = null;
let missedWhileHidden = false;
let refreshing = null;
let refreshAgain = false;
let context = null;
const charts = {};
const pages = { cursors: [null], index: 0, next: null };

/** Figures of the workspace for the last 30 days, by number; null when the analytics endpoints are not there. */
export async function numberVolumes() {
  try {
    const data = await get('/api/analytics');
    const map = new Map();
    for (const n of data.byNumber ?? []) map.set(n.phoneNumber, n.totalCalls ?? 0);
    return map;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
    throw error;
  }
}

export function showAnalytics(view, state) {
  context = state;
  if (!built) {
    build(view);
    built = true;
  }
  fillFilterOptions();
  reload();
  clearInterval(timer);
  timer = setInterval(refresh, RefreshEvery);
}

export function hideAnalytics() {
  clearInterval(timer);
  timer = null;
  clearTimeout(soon);
  soon = null;
  missedWhileHidden = false;
}

/**
 * A live "Calls" change: calls ended whose start times span calls.earliestStart to calls.latestStart. Read again only
 * while this page shows and the range it shows covers some of that span; in a hidden tab, once it is visible again.
 */
export function callsEnded(calls) {
  if (!timer || !covers(calls)) return;
  if (document.hidden) {
    missedWhileHidden = true;
    return;
  }
  if (soon) return;
  soon = setTimeout(() => {
    soon = null;
    refresh();
  }, CoalesceFor);
}

function covers(calls) {
  const earliest = Date.parse(calls?.earliestStart), latest = Date.parse(calls?.latestStart);
  if (Number.isNaN(earliest) || Number.isNaN(latest)) return false;
  const query = rangeQuery();
  // As the API reads the range: `to` now when empty, `from` 30 days before `to` when empty; [from, to).
  const to = query.has('to') ? Date.parse(query.get('to')) : Date.now();
  const from = query.has('from') ? Date.parse(query.get('from')) : to - DefaultRangeDays * Day;
  return earliest < to && latest >= from;
}

function onVisibility() {
  if (document.hidden || !timer || !missedWhileHidden) return;
  missedWhileHidden = false;
  refresh();
}

/** The quiet re-read (timer, ended calls): the figures, and the log's first page if that is the one showing. One at a time; asked while one runs, it runs once more after. */
function refresh() {
  if (document.hidden) return undefined;
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      do {
        refreshAgain = false;
        await refreshOnce();
      } while (refreshAgain && timer);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function refreshOnce() {
  const number = $('an-number').value;
  try {
    drawFigures(await get(figuresPath(number, rangeQuery())));
    if (pages.index === 0) await loadLog();
  } catch {
    // The next tick, or Apply, tries again; reload() shows errors.
  }
}

const figuresPath = (number, query) => (number ? `/api/numbers/${encodeURIComponent(number)}/analytics?${query}` : `/api/analytics?${query}`);

function build(view) {
  document.addEventListener('visibilitychange', onVisibility);
  const range = el('select', { id: 'an-range' }, Ranges.map((r) => el('option', { value: r.value }, r.label)));
  range.value = '30';
  const from = el('input', { id: 'an-from', type: 'datetime-local' });
  const to = el('input', { id: 'an-to', type: 'datetime-local' });
  const custom = el('div', { class: 'an-custom', id: 'an-custom', hidden: true },
    el('div', {}, el('label', { for: 'an-from' }, 'From'), from),
    el('div', {}, el('label', { for: 'an-to' }, 'To'), to));
  range.addEventListener('change', () => { custom.hidden = range.value !== 'custom'; });

  const form = el('form', { id: 'an-filters', class: 'an-filters', role: 'search', 'aria-label': 'Analytics filters' },
    el('div', {}, el('label', { for: 'an-range' }, 'Time range'), range),
    custom,
    el('div', {}, el('label', { for: 'an-number' }, 'Number'), el('select', { id: 'an-number' })),
    el('div', {}, el('label', { for: 'an-agent' }, 'Agent (call log)'), el('select', { id: 'an-agent' })),
    el('div', {}, el('label', { for: 'an-outcome' }, 'Outcome (call log)'),
      el('select', { id: 'an-outcome' }, el('option', { value: '' }, 'Any outcome'), el('option', { value: 'routed' }, 'Routed'), el('option', { value: 'failed' }, 'Failed'))),
    el('div', { class: 'an-apply' }, el('button', { type: 'submit' }, 'Apply')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    reload();
  });

  const tile = (id, label) => el('div', { class: 'tile' }, el('p', { class: 'tile-label' }, label), el('p', { class: 'tile-value', id }, '–'));
  const figure = (id, title) => el('figure', { class: 'chart' },
    el('figcaption', {}, title),
    el('div', { class: 'chart-box' }, el('canvas', { id, role: 'img', 'aria-label': title }, title)));

  view.append(
    el('h1', { id: 'analytics-heading' }, 'Analytics'),
    form,
    el('p', { id: 'an-status', class: 'an-status', role: 'status' }),
    el('div', { id: 'an-body' },
      el('div', { class: 'tiles' },
        tile('an-total', 'Calls'), tile('an-ok', 'Routed'), tile('an-failed', 'Failed'),
        tile('an-avg', 'Average duration'), tile('an-p95', '95th percentile duration')),
      el('div', { class: 'charts' },
        figure('an-volume', 'Calls per day'),
        figure('an-outcomes', 'Outcomes'),
        figure('an-regions', 'Calls by region'),
        figure('an-heat', 'Peak hours (UTC): hour of day × day of week')),
      el('section', { class: 'block', 'aria-labelledby': 'an-log-heading' },
        el('h2', { id: 'an-log-heading' }, 'Call log'),
        el('p', { id: 'an-log-empty', class: 'empty', hidden: true }, 'No calls match these filters.'),
        el('div', { class: 'table-scroll' },
          el('table', { id: 'an-log', class: 'call-log' },
            el('caption', { class: 'visually-hidden' }, 'Calls, newest first'),
            el('thead', {}, el('tr', {}, ['Time', 'Caller', 'Dialed', 'Number', 'Agent', 'Region', 'Outcome', 'Failure reason', 'Duration']
              .map((h) => el('th', { scope: 'col' }, h)))),
            el('tbody', { id: 'an-log-rows' }))),
        el('div', { class: 'pager' },
          el('button', { type: 'button', id: 'an-newer', class: 'secondary', disabled: true, onclick: () => page(-1) }, 'Newer calls'),
          el('span', { id: 'an-page', class: 'muted' }),
          el('button', { type: 'button', id: 'an-older', class: 'secondary', disabled: true, onclick: () => page(1) }, 'Older calls')))));
}

async function fillFilterOptions() {
  const agentSelect = $('an-agent');
  const agentValue = agentSelect.value;
  agentSelect.replaceChildren(el('option', { value: '' }, 'All agents'),
    ...context.agents.map((a) => el('option', { value: a.id }, `${a.title} (${a.id})`)));
  agentSelect.value = [...agentSelect.options].some((o) => o.value === agentValue) ? agentValue : '';

  const numberSelect = $('an-number');
  const numberValue = numberSelect.value;
  const lists = await Promise.all(context.trunks.map((t) => listNumbers(t.id).catch(() => [])));
  const numbers = [...new Set(lists.flat().map((n) => n.phoneNumber))].sort();
  numberSelect.replaceChildren(el('option', { value: '' }, 'All numbers'), ...numbers.map((n) => el('option', { value: n }, n)));
  numberSelect.value = numbers.includes(numberValue) ? numberValue : '';
}

function rangeQuery() {
  const range = $('an-range').value;
  const params = new URLSearchParams();
  if (range === 'custom') {
    const from = $('an-from').value, to = $('an-to').value;
    if (from) params.set('from', new Date(from).toISOString());
    if (to) params.set('to', new Date(to).toISOString());
  } else {
    const end = new Date();
    params.set('from', new Date(end.getTime() - Number(range) * 86_400_000).toISOString());
    params.set('to', end.toISOString());
  }
  return params;
}

async function reload() {
  const status = $('an-status');
  setText(status, 'Loading…');
  pages.cursors = [null];
  pages.index = 0;
  const number = $('an-number').value;
  const query = rangeQuery();
  try {
    const figures = await get(figuresPath(number, query));
    $('an-body').hidden = false;
    $('an-filters').hidden = false;
    drawFigures(figures);
    await loadLog();
    setText(status, number ? `Figures for ${number}.` : 'Figures for the whole workspace.');
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && !error.problem?.detail) {
      $('an-body').hidden = true;
      $('an-filters').hidden = true;
      setText(status, 'Call analytics are not available on this server yet. Numbers and agents work as usual.');
    } else {
      setText(status, error.problem?.detail ?? error.message);
    }
  }
}

const seconds = (s) => (typeof s === 'number' && Number.isFinite(s) ? `${s.toFixed(1)} s` : '–');

function drawFigures(f) {
  setText($('an-total'), String(f.totalCalls ?? 0));
  setText($('an-ok'), String(f.successfulCalls ?? 0));
  setText($('an-failed'), String(f.failedCalls ?? 0));
  setText($('an-avg'), seconds(f.averageDurationSeconds));
  setText($('an-p95'), seconds(f.p95DurationSeconds));
  const Chart = window.Chart;
  if (!Chart) return;

  const days = (f.callsByDay ?? []).map((d) => ({ date: String(d.date ?? ''), count: d.count ?? 0 }));
  draw('an-volume', {
    type: 'bar',
    data: { labels: days.map((d) => d.date), datasets: [{ label: 'Calls', data: days.map((d) => d.count), backgroundColor: Palette[0] }] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
  }, `Calls per day: ${days.reduce((a, d) => a + d.count, 0)} calls over ${days.length} days`);

  const reasons = Object.entries(f.failureReasons ?? {});
  const outcomeLabels = ['routed', ...reasons.map(([r]) => `failed: ${r}`)];
  const outcomeData = [f.successfulCalls ?? 0, ...reasons.map(([, n]) => n)];
  if (!reasons.length && f.failedCalls) {
    outcomeLabels.push('failed');
    outcomeData.push(f.failedCalls);
  }
  draw('an-outcomes', {
    type: 'doughnut',
    data: { labels: outcomeLabels, datasets: [{ data: outcomeData, backgroundColor: outcomeLabels.map((_, i) => Palette[(i + 1) % Palette.length]) }] },
    options: { plugins: { legend: { position: 'bottom' } } },
  }, `Outcomes: ${outcomeLabels.map((l, i) => `${l} ${outcomeData[i]}`).join(', ')}`);

  const regions = Object.entries(f.byRegion ?? {});
  draw('an-regions', {
    type: 'bar',
    data: { labels: regions.map(([r]) => r), datasets: [{ label: 'Calls', data: regions.map(([, n]) => n), backgroundColor: Palette[5] }] },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
  }, `Calls by region: ${regions.map(([r, n]) => `${r} ${n}`).join(', ') || 'none'}`);

  drawHeatMap(f);
}

/** Hour of day × day of week (UTC), summed from callsByHour: every UTC hour of the range with its count. */
function drawHeatMap(f) {
  const grid = Array.from({ length: 7 }, () => new Array(24).fill(0));
  for (const h of f.callsByHour ?? []) {
    const at = new Date(h.hour);
    if (!Number.isNaN(at.getTime())) grid[at.getUTCDay()][at.getUTCHours()] += h.count ?? 0;
  }
  const max = Math.max(1, ...grid.flat());
  const data = [];
  for (const day of HeatRows) for (let hour = 0; hour < 24; hour++) data.push({ x: String(hour).padStart(2, '0'), y: Weekdays[day], v: grid[day][hour] });
  const busiest = data.reduce((a, b) => (b.v > a.v ? b : a), data[0]);
  draw('an-heat', {
    type: 'matrix',
    data: {
      datasets: [{
        label: 'Calls',
        data,
        backgroundColor: (c) => `rgba(31, 95, 191, ${0.08 + 0.92 * ((c.raw?.v ?? 0) / max)})`,
        borderColor: 'rgba(255,255,255,0.8)',
        borderWidth: 1,
        width: ({ chart }) => (chart.chartArea ? chart.chartArea.width / 24 - 1 : 10),
        height: ({ chart }) => (chart.chartArea ? chart.chartArea.height / 7 - 1 : 10),
      }],
    },
    options: {
      maintainAspectRatio: false,
      scales: {
        x: { type: 'category', labels: data.slice(0, 24).map((d) => d.x), grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true } },
        y: { type: 'category', labels: HeatRows.map((d) => Weekdays[d]), offset: true, reverse: false, grid: { display: false } }, // Monday on top (the matrix plugin's default reverses it)
      },
      plugins: { legend: { display: false }, tooltip: { callbacks: { title: () => '', label: (c) => `${c.raw.y} ${c.raw.x}:00 UTC: ${c.raw.v} calls` } } },
    },
  }, busiest && busiest.v > 0 ? `Peak hours: busiest ${busiest.y} ${busiest.x}:00 UTC with ${busiest.v} calls` : 'Peak hours: no calls');
}

function draw(id, config, summary) {
  const canvas = $(id);
  canvas.setAttribute('aria-label', summary);
  setText(canvas, summary);
  charts[id]?.destroy();
  config.options = { responsive: true, maintainAspectRatio: false, animation: false, ...config.options };
  charts[id] = new window.Chart(canvas, config);
}

async function loadLog() {
  const params = rangeQuery();
  const number = $('an-number').value, agent = $('an-agent').value, outcome = $('an-outcome').value;
  if (number) params.set('phoneNumber', number);
  if (agent) params.set('agentId', agent);
  if (outcome) params.set('outcome', outcome);
  const cursor = pages.cursors[pages.index];
  if (cursor) params.set('cursor', cursor);
  const data = await get(`/api/calls?${params}`);
  const rows = data.items ?? []; // newest first, as the API pages them
  pages.next = data.nextCursor ?? null;
  const titles = new Map(context.agents.map((a) => [a.id, a.title]));
  $('an-log-rows').replaceChildren(...rows.map((r) => callRow(r, titles)));
  $('an-log-empty').hidden = rows.length > 0 || pages.index > 0;
  $('an-newer').disabled = pages.index === 0;
  $('an-older').disabled = !pages.next;
  setText($('an-page'), `Page ${pages.index + 1}`);
}

function callRow(r, titles) {
  const when = new Date(r.startedAt);
  const agentId = r.agentId ?? '';
  const agent = agentId ? (titles.get(agentId) ? `${titles.get(agentId)} (${agentId})` : agentId) : '–';
  return el('tr', {},
    el('td', {}, el('time', { datetime: when.toISOString(), title: when.toISOString() }, when.toLocaleString())),
    el('td', {}, r.caller ?? ''),
    el('td', {}, r.dialed ?? ''),
    el('td', {}, r.phoneNumber ?? '–'),
    el('td', {}, agent),
    el('td', {}, r.region ?? '–'),
    el('td', {}, r.test ? `${r.outcome ?? ''} (test call)` : String(r.outcome ?? '')),
    el('td', {}, r.reason ?? ''),
    el('td', {}, seconds(r.durationSeconds)));
}

async function page(step) {
  if (step > 0 && pages.next) {
    pages.cursors[pages.index + 1] = pages.next;
    pages.index++;
  } else if (step < 0 && pages.index > 0) pages.index--;
  try {
    await loadLog();
  } catch (error) {
    setText($('an-status'), error.problem?.detail ?? error.message);
  }
  const moved = $(step > 0 ? 'an-older' : 'an-newer');
  (moved.disabled ? $(step > 0 ? 'an-newer' : 'an-older') : moved).focus();
}
