// Audit log (issue 18): every change to the workspace, newest first, from GET /api/audit, with filters (target, actor,
// from, to) and "Older" paging by the cursor the server gives. Before and after are shown as the JSON the server sent,
// as text: everything from the server or the user is text, never markup.
import { el, setText } from './dom.js';
import { get, ApiError } from './api.js';

const PageSize = 50;

let parts = null;
let cursor = null;

export function showAudit(view) {
  if (!parts) view.replaceChildren(el('h1', { id: 'audit-heading' }, 'Audit log'), build());
  load(false);
}

export function hideAudit() {}

function build() {
  const field = (id, label, attrs) => [el('label', { for: id }, label), el('input', { id, autocomplete: 'off', spellcheck: 'false', ...attrs })];
  const [targetLabel, target] = field('audit-target', 'Target', { type: 'text', maxlength: 64, placeholder: 'an id, a +number, or agent, trunk, number…' });
  const [actorLabel, actor] = field('audit-actor', 'Actor', { type: 'text', maxlength: 64, placeholder: 'an API key id, or operator' });
  const [fromLabel, from] = field('audit-from', 'From', { type: 'datetime-local' });
  const [toLabel, to] = field('audit-to', 'To', { type: 'datetime-local' });
  const error = el('p', { id: 'audit-error', class: 'form-error', role: 'alert' });
  const form = el('form', { id: 'audit-filters', class: 'audit-filters', novalidate: true },
    targetLabel, target, actorLabel, actor, fromLabel, from, toLabel, to,
    el('button', { type: 'submit' }, 'Filter'), error);
  const empty = el('p', { id: 'audit-empty', class: 'empty', hidden: true }, 'No changes match.');
  const body = el('tbody', { id: 'audit-entries' });
  const table = el('table', { class: 'audit-log' },
    el('thead', {}, el('tr', {}, ['Time', 'Action', 'Target', 'Actor', 'Source', 'Before', 'After'].map((h) => el('th', { scope: 'col' }, h)))),
    body);
  const older = el('button', { type: 'button', id: 'audit-older', class: 'secondary', hidden: true, onclick: () => load(true) }, 'Older');
  parts = { target, actor, from, to, error, empty, body, older };
  form.addEventListener('submit', (event) => { event.preventDefault(); load(false); });
  return el('section', { class: 'block', 'aria-labelledby': 'audit-heading' }, form, empty, table, older);
}

function query(more) {
  const params = new URLSearchParams({ limit: String(PageSize) });
  const text = (input) => input.value.trim();
  if (text(parts.target)) params.set('target', text(parts.target));
  if (text(parts.actor)) params.set('actor', text(parts.actor));
  if (parts.from.value) params.set('from', new Date(parts.from.value).toISOString());
  if (parts.to.value) params.set('to', new Date(parts.to.value).toISOString());
  if (more && cursor) params.set('cursor', cursor);
  return `/api/audit?${params}`;
}

async function load(more) {
  setText(parts.error, '');
  let page;
  try {
    page = await get(query(more));
  } catch (error) {
    setText(parts.error, error instanceof ApiError ? error.message : 'The audit log could not be read. Try again in a moment.');
    return;
  }
  if (!more) parts.body.replaceChildren();
  for (const entry of page.items) parts.body.append(row(entry));
  cursor = page.nextCursor ?? null;
  parts.older.hidden = cursor === null;
  parts.empty.hidden = parts.body.children.length > 0;
}

const fields = (value) => (value === null || value === undefined ? '' : JSON.stringify(value));

function row(entry) {
  return el('tr', { 'data-id': entry.id },
    el('td', {}, el('time', { datetime: entry.at }, new Date(entry.at).toLocaleString())),
    el('td', { class: 'audit-action' }, entry.action),
    el('td', { class: 'audit-target' }, `${entry.targetType} ${entry.targetId}`),
    el('td', { class: 'audit-actor' }, entry.actor),
    el('td', { class: 'audit-source' }, entry.source),
    el('td', {}, el('code', { class: 'audit-before' }, fields(entry.before))),
    el('td', {}, el('code', { class: 'audit-after' }, fields(entry.after))));
}
