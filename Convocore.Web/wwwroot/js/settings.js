// Settings (issue 17): the workspace's routing hook (routing-hook.js) and its webhooks. Add a webhook (its signing secret is shown once, right after), delete one,
// and read each one's delivery log, newest first, with a redeliver button per event. Reads and writes /api/webhooks.
// Everything the server or the user gave is shown as text, never markup. One section each, built by its own function.
import { el, setText } from './dom.js';
import { api, get, ApiError } from './api.js';
import { confirmAction } from './confirm.js';
import { buildRoutingHook, reloadRoutingHook } from './routing-hook.js';

const EventTypes = ['call.started', 'call.routed', 'call.failed', 'call.ended', 'number.created', 'number.updated', 'number.deleted'];
const Limit = 10;

let built = false;
let parts = null;
const openLogs = new Set();

export function showSettings(view) {
  if (!built) {
    view.replaceChildren(el('h1', { id: 'settings-heading' }, 'Settings'), buildRoutingHook(), buildWebhooks());
    built = true;
  }
  reloadRoutingHook();
  reloadWebhooks();
}

export function hideSettings() {}

function buildWebhooks() {
  const url = el('input', { id: 'webhook-url', name: 'url', type: 'url', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'https://example.com/convocore-events', 'aria-describedby': 'webhook-url-help' });
  const boxes = EventTypes.map((type) => el('div', { class: 'check' },
    el('input', { id: `webhook-event-${type}`, type: 'checkbox', value: type, checked: true }),
    el('label', { for: `webhook-event-${type}` }, type)));
  const error = el('p', { id: 'webhook-form-error', class: 'form-error', role: 'alert' });
  const submit = el('button', { type: 'submit', id: 'webhook-add' }, 'Add webhook');
  const form = el('form', { id: 'webhook-form', class: 'webhook-form', novalidate: true },
    el('label', { for: 'webhook-url' }, 'Receiver URL'), url,
    el('p', { id: 'webhook-url-help', class: 'help' }, 'Events are POSTed there, signed with the webhook\'s secret (https outside a developer machine).'),
    el('fieldset', {}, el('legend', {}, 'Events'), boxes),
    error, submit);
  const secret = el('div', { id: 'webhook-secret', class: 'secret', role: 'status', hidden: true });
  const empty = el('p', { id: 'webhooks-empty', class: 'empty', hidden: true },
    'No webhooks yet. Add the URL of a receiver of yours to hear about every call and number change.');
  const list = el('ul', { id: 'webhooks', class: 'webhooks', 'aria-label': 'Webhooks' });
  parts = { url, boxes, error, submit, secret, empty, list };
  form.addEventListener('submit', add);
  return el('section', { class: 'block', 'aria-labelledby': 'webhooks-heading' },
    el('h2', { id: 'webhooks-heading' }, 'Webhooks'), form, secret, empty, list);
}

async function add(event) {
  event.preventDefault();
  const events = parts.boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
  setText(parts.error, '');
  parts.submit.disabled = true;
  try {
    const created = await api('POST', '/api/webhooks', { url: parts.url.value.trim(), events });
    parts.url.value = '';
    showSecret(created);
    await reloadWebhooks();
  } catch (error) {
    setText(parts.error, error instanceof ApiError ? error.message : 'The webhook could not be added. Try again in a moment.');
  } finally {
    parts.submit.disabled = false;
  }
}

function showSecret(created) {
  const done = el('button', { type: 'button', class: 'secondary', onclick: () => { parts.secret.hidden = true; parts.secret.replaceChildren(); } },
    'I have copied it');
  parts.secret.replaceChildren(
    el('p', {}, `Signing secret of the webhook to ${created.url}. It is shown this once: keep it with your receiver, which checks the Convocore-Signature header with it.`),
    el('code', { id: 'webhook-secret-value' }, created.secret),
    done);
  parts.secret.hidden = false;
  done.focus();
}

async function reloadWebhooks() {
  let webhooks;
  try {
    webhooks = await get('/api/webhooks');
  } catch (error) {
    setText(parts.error, error instanceof ApiError ? error.message : 'The webhooks could not be read. Try again in a moment.');
    return;
  }
  parts.empty.hidden = webhooks.length > 0;
  parts.submit.disabled = webhooks.length >= Limit;
  parts.submit.title = webhooks.length >= Limit ? `A workspace may have at most ${Limit} webhooks` : '';
  parts.list.replaceChildren(...webhooks.map(webhookItem));
  for (const webhook of webhooks) if (openLogs.has(webhook.id)) loadLog(webhook);
}

function webhookItem(webhook) {
  const log = el('div', { class: 'delivery-log', id: `log-${webhook.id}`, hidden: !openLogs.has(webhook.id) });
  const toggle = el('button', { type: 'button', class: 'secondary', 'aria-expanded': String(openLogs.has(webhook.id)),
    'aria-controls': `log-${webhook.id}`, 'aria-label': `Deliveries of ${webhook.url}` }, 'Deliveries');
  toggle.addEventListener('click', () => {
    const open = !openLogs.has(webhook.id);
    if (open) openLogs.add(webhook.id); else openLogs.delete(webhook.id);
    toggle.setAttribute('aria-expanded', String(open));
    log.hidden = !open;
    if (open) loadLog(webhook);
  });
  const remove = el('button', { type: 'button', class: 'danger', 'aria-label': `Delete webhook ${webhook.url}` }, 'Delete');
  remove.addEventListener('click', () => confirmAction({
    heading: 'Delete webhook',
    text: `Events will no longer be sent to ${webhook.url}; those not yet delivered are dropped.`,
    action: 'Delete webhook',
    fallback: () => parts.url,
    run: async () => {
      await api('DELETE', `/api/webhooks/${encodeURIComponent(webhook.id)}`);
      openLogs.delete(webhook.id);
      await reloadWebhooks();
    },
  }));
  return el('li', { class: 'webhook', 'data-key': webhook.id },
    el('div', { class: 'webhook-head' },
      el('div', {}, el('p', { class: 'webhook-url' }, webhook.url), el('p', { class: 'muted' }, webhook.events.join(', '))),
      el('div', { class: 'webhook-actions' }, toggle, remove)),
    log);
}

async function loadLog(webhook) {
  const log = document.getElementById(`log-${webhook.id}`);
  if (!log) return;
  let deliveries;
  try {
    deliveries = await get(`/api/webhooks/${encodeURIComponent(webhook.id)}/deliveries?limit=50`);
  } catch (error) {
    log.replaceChildren(el('p', { class: 'form-error' }, error instanceof ApiError ? error.message : 'The delivery log could not be read.'));
    return;
  }
  const refresh = el('button', { type: 'button', class: 'secondary', onclick: () => loadLog(webhook) }, 'Refresh');
  if (deliveries.length === 0) {
    log.replaceChildren(el('p', { class: 'empty' }, 'No events sent to this webhook yet.'), refresh);
    return;
  }
  const status = el('p', { class: 'muted', role: 'status' });
  const rows = deliveries.map((d) => el('tr', { 'data-event': d.eventId },
    el('td', {}, when(d.createdAt)),
    el('td', {}, d.type),
    el('td', { class: 'mono' }, d.eventId),
    el('td', {}, d.state),
    el('td', {}, String(d.attempts)),
    el('td', {}, d.lastStatus !== null && d.lastStatus !== undefined ? String(d.lastStatus) : (d.lastError ?? '')),
    el('td', {}, d.nextAttemptAt ? when(d.nextAttemptAt) : ''),
    el('td', {}, el('button', { type: 'button', class: 'secondary', 'aria-label': `Redeliver ${d.eventId}`, onclick: async (e) => {
      e.target.disabled = true;
      try {
        await api('POST', `/api/webhooks/${encodeURIComponent(webhook.id)}/deliveries/${encodeURIComponent(d.eventId)}/redeliver`);
        setText(status, `${d.type} ${d.eventId} is on its way again.`);
        setTimeout(() => loadLog(webhook), 1000);
      } catch (error) {
        setText(status, error instanceof ApiError ? error.message : 'It could not be redelivered. Try again in a moment.');
      } finally {
        e.target.disabled = false;
      }
    } }, 'Redeliver'))));
  const head = el('tr', {}, ['Time', 'Event', 'Event id', 'State', 'Attempts', 'Last answer', 'Next attempt', ''].map((h) => el('th', { scope: 'col' }, h)));
  log.replaceChildren(
    el('div', { class: 'table-scroll' }, el('table', { class: 'call-log', 'aria-label': `Deliveries of ${webhook.url}` },
      el('thead', {}, head), el('tbody', {}, rows))),
    status, refresh);
}

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
