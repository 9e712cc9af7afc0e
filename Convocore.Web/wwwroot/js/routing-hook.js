// Settings (issue 17): the workspace's routing hook. Set its URL and timeout (the signing secret is shown once, when
// the hook is created; a change keeps it), or remove it. Reads and writes /api/workspace/routing-hook; the numbers that
// use it are switched on their own rows. Everything the server or the user gave is shown as text, never markup.
import { el, setText } from './dom.js';
import { api, get, ApiError } from './api.js';
import { confirmAction } from './confirm.js';

const DefaultTimeoutMs = 1500;

let parts = null;

export function buildRoutingHook() {
  const url = el('input', { id: 'hook-url', name: 'url', type: 'url', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'https://example.com/convocore-route', 'aria-describedby': 'hook-url-help' });
  const timeout = el('input', { id: 'hook-timeout', name: 'timeoutMs', type: 'number', min: '100', max: '3000', step: '1',
    value: String(DefaultTimeoutMs), 'aria-describedby': 'hook-timeout-help' });
  const error = el('p', { id: 'hook-form-error', class: 'form-error', role: 'alert' });
  const submit = el('button', { type: 'submit', id: 'hook-save' }, 'Save routing hook');
  const remove = el('button', { type: 'button', id: 'hook-delete', class: 'danger', hidden: true }, 'Remove routing hook');
  const state = el('p', { id: 'hook-state', class: 'muted', role: 'status' });
  const secret = el('div', { id: 'hook-secret', class: 'secret', role: 'status', hidden: true });
  const form = el('form', { id: 'hook-form', class: 'webhook-form', novalidate: true },
    el('label', { for: 'hook-url' }, 'Hook URL'), url,
    el('p', { id: 'hook-url-help', class: 'help' },
      'Each call to a number with "routing hook" on is POSTed there, signed like the webhooks; the answer picks the agent (https outside a developer machine).'),
    el('label', { for: 'hook-timeout' }, 'Timeout (ms)'), timeout,
    el('p', { id: 'hook-timeout-help', class: 'help' },
      '100 to 3000. A hook that has not answered by then leaves the call to the number\'s own agent, then to its fallback.'),
    error, el('div', { class: 'webhook-actions' }, submit, remove));
  parts = { url, timeout, error, submit, remove, state, secret };
  form.addEventListener('submit', save);
  remove.addEventListener('click', () => confirmAction({
    heading: 'Remove routing hook',
    text: 'Calls to numbers with "routing hook" on will go straight to their own agent.',
    action: 'Remove routing hook',
    fallback: () => parts.url,
    run: async () => {
      await api('DELETE', '/api/workspace/routing-hook');
      parts.url.value = '';
      parts.timeout.value = String(DefaultTimeoutMs);
      await reloadRoutingHook();
    },
  }));
  return el('section', { class: 'block', 'aria-labelledby': 'hook-heading' },
    el('h2', { id: 'hook-heading' }, 'Routing hook'), state, form, secret);
}

export async function reloadRoutingHook() {
  let hook = null;
  try {
    hook = await get('/api/workspace/routing-hook');
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) {
      setText(parts.error, error instanceof ApiError ? error.message : 'The routing hook could not be read. Try again in a moment.');
      return;
    }
  }
  show(hook);
}

function show(hook) {
  parts.remove.hidden = !hook;
  setText(parts.state, hook
    ? `Calls to numbers with "routing hook" on ask ${hook.url} (timeout ${hook.timeoutMs} ms).`
    : 'No routing hook: every call goes to its number\'s agent.');
  if (hook) {
    parts.url.value = hook.url;
    parts.timeout.value = String(hook.timeoutMs);
  }
}

async function save(event) {
  event.preventDefault();
  setText(parts.error, '');
  const body = { url: parts.url.value.trim() };
  const timeout = parts.timeout.value.trim();
  // The server's rule and text decide: what is not a number goes as typed.
  if (timeout !== '') body.timeoutMs = Number.isFinite(Number(timeout)) ? Number(timeout) : timeout;
  parts.submit.disabled = true;
  try {
    const saved = await api('PUT', '/api/workspace/routing-hook', body);
    if (saved.secret) showSecret(saved);
    show(saved);
  } catch (error) {
    setText(parts.error, error instanceof ApiError ? error.message : 'The routing hook could not be saved. Try again in a moment.');
  } finally {
    parts.submit.disabled = false;
  }
}

function showSecret(saved) {
  const done = el('button', { type: 'button', class: 'secondary', onclick: () => { parts.secret.hidden = true; parts.secret.replaceChildren(); } },
    'I have copied it');
  parts.secret.replaceChildren(
    el('p', {}, `Signing secret of the routing hook at ${saved.url}. It is shown this once: your hook checks the Convocore-Signature header with it.`),
    el('code', { id: 'hook-secret-value' }, saved.secret),
    done);
  parts.secret.hidden = false;
  done.focus();
}
