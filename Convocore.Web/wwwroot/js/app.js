import { $, el, setText, syncList, plural, openDialog, wireCloseButtons, trashIcon } from './dom.js';
import { api, get, listNumbers, numberPath, signedOut, ApiError } from './api.js';
import { connectLive, disconnectLive } from './live.js';
import { showAnalytics, hideAnalytics, numberVolumes } from './analytics.js';
import { wireRouteCheck } from './route-check.js';

// The product's fixed texts (Convocore.Contracts), shown before submit where the page can know them.
const Texts = {
  phoneRequired: 'Phone number is required',
  phoneInvalid: 'Invalid phone number format',
  phoneExists: 'Phone number already exists',
  agentRequired: 'Agent is required',
};
const E164 = /^\+[1-9][0-9]{1,14}$/;

const state = {
  workspace: null,
  trunks: [],
  agents: [],
  numbers: new Map(), // trunkId → numbers, for expanded cards
  expanded: new Set(),
  volumes: null, // phoneNumber → calls in the last 30 days; null while analytics are unavailable
};
let analyticsAvailable = true;

// ---------- loading and live refresh ----------

let refreshing = null;
let refreshAgain = false;

/** Re-reads everything on screen. Calls while one runs coalesce into one more run. */
export function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      do {
        refreshAgain = false;
        await load();
      } while (refreshAgain);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) console.error(error);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function load() {
  const [workspace, trunks, agents] = await Promise.all([get('/api/workspace'), get('/api/trunks'), get('/api/agents')]);
  const ids = new Set(trunks.map((t) => t.id));
  for (const id of [...state.expanded]) if (!ids.has(id)) state.expanded.delete(id);
  const lists = await Promise.all([...state.expanded].map(async (id) => [id, await listNumbers(id).catch(() => null)]));
  if (analyticsAvailable) {
    state.volumes = await numberVolumes().catch(() => state.volumes);
    if (state.volumes === null) analyticsAvailable = false;
  }
  state.workspace = workspace;
  state.trunks = trunks;
  state.agents = agents;
  for (const id of [...state.numbers.keys()]) if (!ids.has(id)) state.numbers.delete(id);
  for (const [id, list] of lists) if (list) state.numbers.set(id, list);
  render();
}

// ---------- rendering ----------

function limitState() {
  const { numberLimit: limit, numberCount: count, plan } = state.workspace;
  if (limit === null || limit === undefined) return null;
  if (count === limit) return `Number limit reached: the ${plan} plan allows ${plural(limit, 'number', 'numbers')}. Delete a number or move to a larger plan to add another.`;
  if (count > limit) return `This workspace has ${plural(count, 'number', 'numbers')}, more than the ${plan} plan allows (${limit}): existing numbers keep working, but no new number can be added until there are fewer than ${limit}.`;
  return null;
}

function render() {
  const ws = state.workspace;
  setText($('usage'), ws.numberLimit === null || ws.numberLimit === undefined
    ? `${plural(ws.numberCount, 'number', 'numbers')} · ${ws.plan} plan (no limit)`
    : `${ws.numberCount} of ${plural(ws.numberLimit, 'number', 'numbers')} · ${ws.plan} plan`);
  const limitReason = limitState();
  const warning = $('limit-warning');
  setText(warning, limitReason ?? '');
  warning.hidden = !limitReason;

  $('trunks-empty').hidden = state.trunks.length > 0;
  syncList($('trunks'), state.trunks, (t) => t.id, createTrunkCard, (node, t) => updateTrunkCard(node, t, limitReason));

  $('agents-empty').hidden = state.agents.length > 0;
  syncList($('agents'), state.agents, (a) => a.id, createAgentRow, updateAgentRow);
}

function createTrunkCard(trunk) {
  const numbersId = `numbers-${trunk.id}`;
  const card = el('li', { class: 'card' });
  const chevron = el('button', { type: 'button', class: 'chevron', 'aria-expanded': 'false', 'aria-controls': numbersId },
    el('span', { 'aria-hidden': 'true', class: 'chevron-icon' }));
  const head = el('div', { class: 'card-head' },
    chevron,
    el('div', { class: 'card-title' },
      el('h3', { class: 'trunk-name' }),
      el('span', { class: 'tag trunk-region' }),
      el('span', { class: 'tag inactive trunk-inactive' }, 'Inactive')),
    el('span', { class: 'badge', role: 'img' }));
  head.addEventListener('click', (event) => {
    if (event.target.closest('button') && event.target.closest('button') !== chevron) return;
    toggleTrunk(card.dataset.key);
  });
  const actions = el('div', { class: 'card-actions' },
    el('button', { type: 'button', class: 'add-number', onclick: () => openNumberDialog(card.dataset.key) }, 'Add Number'),
    el('button', { type: 'button', class: 'secondary edit-trunk', onclick: () => openTrunkDialog(trunkById(card.dataset.key)) }, 'Edit'),
    el('button', { type: 'button', class: 'secondary toggle-trunk', onclick: () => toggleActive(trunkById(card.dataset.key)) }),
    el('button', { type: 'button', class: 'secondary delete-trunk', onclick: () => deleteTrunk(trunkById(card.dataset.key)) }, 'Delete'));
  const numbers = el('div', { class: 'numbers', id: numbersId, hidden: true },
    el('p', { class: 'empty numbers-empty' }, 'No numbers yet. Use Add Number to add one and choose the agent that answers it.'),
    el('ul', { class: 'number-list' }));
  card.append(head, actions, el('p', { class: 'reason limit-reason', hidden: true }), numbers);
  return card;
}

function updateTrunkCard(card, trunk, limitReason) {
  const expanded = state.expanded.has(trunk.id);
  const chevron = card.querySelector('.chevron');
  chevron.setAttribute('aria-expanded', String(expanded));
  chevron.setAttribute('aria-label', `${expanded ? 'Hide' : 'Show'} numbers of ${trunk.name}`);
  setText(card.querySelector('.trunk-name'), trunk.name);
  setText(card.querySelector('.trunk-region'), trunk.region);
  card.querySelector('.trunk-inactive').hidden = trunk.active;
  card.classList.toggle('is-inactive', !trunk.active);
  const badge = card.querySelector('.badge');
  setText(badge, String(trunk.numberCount));
  badge.setAttribute('aria-label', plural(trunk.numberCount, 'number', 'numbers'));

  const add = card.querySelector('.add-number');
  add.disabled = !!limitReason;
  add.title = limitReason ?? '';
  const reason = card.querySelector('.limit-reason');
  reason.id = `limit-reason-${trunk.id}`;
  setText(reason, limitReason ? 'Add Number is unavailable: the number limit of your plan is reached.' : '');
  reason.hidden = !limitReason;
  if (limitReason) add.setAttribute('aria-describedby', reason.id); else add.removeAttribute('aria-describedby');

  card.querySelector('.edit-trunk').setAttribute('aria-label', `Edit ${trunk.name}`);
  const toggle = card.querySelector('.toggle-trunk');
  setText(toggle, trunk.active ? 'Deactivate' : 'Activate');
  toggle.setAttribute('aria-label', `${trunk.active ? 'Deactivate' : 'Activate'} ${trunk.name}`);
  card.querySelector('.delete-trunk').setAttribute('aria-label', `Delete SIP provider ${trunk.name}`);

  const panel = card.querySelector('.numbers');
  panel.hidden = !expanded;
  const list = state.numbers.get(trunk.id);
  if (expanded && list) {
    card.querySelector('.numbers-empty').hidden = list.length > 0;
    syncList(card.querySelector('.number-list'), list, (n) => n.phoneNumber, createNumberRow, updateNumberRow);
  }
}

function createNumberRow(number) {
  const select = el('select', { class: 'reassign-agent' });
  const reassign = el('button', { type: 'button', class: 'secondary reassign', disabled: true }, 'Reassign');
  select.addEventListener('change', () => { reassign.disabled = select.value === row.dataset.agent; });
  const label = el('label', { class: 'visually-hidden' });
  const row = el('li', { class: 'number-row' },
    el('div', { class: 'number-main' },
      el('span', { class: 'phone' }),
      el('span', { class: 'tag number-region' }),
      el('span', { class: 'muted number-calls', hidden: true })),
    el('div', { class: 'number-agent' },
      el('span', { class: 'agent-title' }),
      el('span', { class: 'muted agent-id' })),
    el('div', { class: 'number-reassign' }, label, select, reassign),
    el('button', { type: 'button', class: 'icon danger delete-number' }, trashIcon()),
    el('p', { class: 'field-error row-error', role: 'alert' }));
  const id = `reassign-${Math.random().toString(36).slice(2)}`;
  select.id = id;
  label.htmlFor = id;
  reassign.addEventListener('click', () => reassignNumber(row, select.value));
  row.querySelector('.delete-number').addEventListener('click', () => deleteNumber(row.dataset.trunk, row.dataset.key));
  return row;
}

function updateNumberRow(row, number) {
  row.dataset.trunk = number.trunkId;
  row.dataset.agent = number.agentId;
  setText(row.querySelector('.phone'), number.phoneNumber);
  setText(row.querySelector('.number-region'), number.region);
  const calls = row.querySelector('.number-calls');
  calls.hidden = !state.volumes;
  if (state.volumes) setText(calls, `${plural(state.volumes.get(number.phoneNumber) ?? 0, 'call', 'calls')} in 30 days`);
  setText(row.querySelector('.agent-title'), number.agentTitle ?? '(agent deleted)');
  setText(row.querySelector('.agent-id'), number.agentId);
  setText(row.querySelector('label'), `Agent for ${number.phoneNumber}`);
  const select = row.querySelector('.reassign-agent');
  const choice = select.value && select.value !== number.agentId && document.activeElement === select ? select.value : number.agentId;
  fillAgentOptions(select, { selected: number.agentId, includeCurrent: true });
  select.value = choice;
  const reassign = row.querySelector('.reassign');
  reassign.disabled = select.value === number.agentId;
  reassign.setAttribute('aria-label', `Reassign ${number.phoneNumber}`);
  row.querySelector('.delete-number').setAttribute('aria-label', `Delete ${number.phoneNumber}`);
}

/** Options of voice-ready agents; the others are listed disabled with the reason they cannot answer. */
function fillAgentOptions(select, { selected, placeholder, includeCurrent } = {}) {
  const options = [];
  if (placeholder) options.push(el('option', { value: '' }, placeholder));
  for (const agent of state.agents) {
    const unavailable = agent.unavailableReason && !(includeCurrent && agent.id === selected);
    options.push(el('option', { value: agent.id, disabled: !!unavailable },
      unavailable ? `${agent.title} (unavailable: ${agent.unavailableReason})` : agent.title));
  }
  const same = select.options.length === options.length
    && options.every((o, i) => select.options[i].value === o.value && select.options[i].textContent === o.textContent && select.options[i].disabled === o.disabled);
  if (!same) select.replaceChildren(...options);
}

function createAgentRow() {
  return el('li', { class: 'agent' },
    el('div', { class: 'agent-main' },
      el('h3', { class: 'agent-name' }),
      el('span', { class: 'muted agent-id' })),
    el('p', { class: 'agent-voice' }),
    el('p', { class: 'agent-numbers muted' }),
    el('div', { class: 'card-actions' },
      el('button', { type: 'button', class: 'secondary edit-agent' }, 'Edit'),
      el('button', { type: 'button', class: 'secondary delete-agent' }, 'Delete')));
}

function updateAgentRow(row, agent) {
  setText(row.querySelector('.agent-name'), agent.title);
  setText(row.querySelector('.agent-id'), agent.id);
  const voice = agent.voice && agent.voice.provider ? `${agent.voice.provider} · ${agent.voice.voiceId ?? ''} · ${agent.voice.language ?? ''}` : 'no voice configuration';
  setText(row.querySelector('.agent-voice'), agent.unavailableReason ? `Cannot answer calls: ${agent.unavailableReason}` : `Answers calls: ${voice}`);
  row.querySelector('.agent-voice').classList.toggle('warn-text', !!agent.unavailableReason);
  setText(row.querySelector('.agent-numbers'), `Answers ${plural(agent.numberCount, 'number', 'numbers')}`);
  const edit = row.querySelector('.edit-agent');
  edit.setAttribute('aria-label', `Edit agent ${agent.title}`);
  edit.onclick = () => openAgentDialog(agentById(agent.id));
  const remove = row.querySelector('.delete-agent');
  remove.setAttribute('aria-label', `Delete agent ${agent.title}`);
  remove.onclick = () => deleteAgent(agentById(agent.id));
}

const trunkById = (id) => state.trunks.find((t) => t.id === id);
const agentById = (id) => state.agents.find((a) => a.id === id);

async function toggleTrunk(trunkId) {
  if (state.expanded.has(trunkId)) state.expanded.delete(trunkId);
  else {
    state.expanded.add(trunkId);
    if (!state.numbers.has(trunkId)) {
      try {
        state.numbers.set(trunkId, await listNumbers(trunkId));
      } catch {
        state.numbers.set(trunkId, []);
      }
    }
  }
  render();
}

// ---------- numbers ----------

let numberTrunkId = null;

function openNumberDialog(trunkId) {
  const trunk = trunkById(trunkId);
  numberTrunkId = trunkId;
  const form = $('number-form');
  form.reset();
  for (const id of ['number-phone-error', 'number-agent-error', 'number-form-error']) setText($(id), '');
  for (const field of [$('number-phone'), $('number-agent')]) field.removeAttribute('aria-invalid');
  setText($('number-dialog-trunk'), trunk ? `SIP provider: ${trunk.name} (${trunk.region})` : '');
  fillAgentOptions($('number-agent'), { placeholder: 'Choose an agent' });
  $('number-agent').value = '';
  const ready = state.agents.filter((a) => !a.unavailableReason).length;
  setText($('number-agent-help'), ready === 0
    ? 'No agent can answer calls yet: add an agent with voice enabled and a voice configuration first.'
    : 'Only voice-enabled agents with a valid voice configuration can answer calls.');
  openDialog($('number-dialog'), { focus: $('number-phone'), fallback: () => cardOf(trunkId)?.querySelector('.chevron') ?? $('trunks-heading') });
}

const cardOf = (trunkId) => [...$('trunks').children].find((c) => c.dataset.key === trunkId);

function knownNumbers() {
  const all = new Set();
  for (const list of state.numbers.values()) for (const n of list) all.add(n.phoneNumber);
  return all;
}

function phoneProblem(value) {
  if (!value.trim()) return Texts.phoneRequired;
  if (!E164.test(value)) {
    const digits = value.replace(/[\s().-]/g, '');
    return /^[0-9]{10}$/.test(digits) ? `${Texts.phoneInvalid} (did you mean +1${digits}?)` : Texts.phoneInvalid;
  }
  if (knownNumbers().has(value)) return Texts.phoneExists;
  return null;
}

function showFieldError(field, errorNode, message) {
  setText(errorNode, message ?? '');
  if (message) field.setAttribute('aria-invalid', 'true'); else field.removeAttribute('aria-invalid');
}

function validateNumberForm() {
  const phone = phoneProblem($('number-phone').value);
  const agent = $('number-agent').value ? null : Texts.agentRequired;
  showFieldError($('number-phone'), $('number-phone-error'), phone);
  showFieldError($('number-agent'), $('number-agent-error'), agent);
  return !phone && !agent;
}

function wireNumberForm() {
  $('number-phone').addEventListener('blur', () => {
    if ($('number-phone').value) showFieldError($('number-phone'), $('number-phone-error'), phoneProblem($('number-phone').value));
  });
  $('number-phone').addEventListener('input', () => {
    if ($('number-phone').getAttribute('aria-invalid')) showFieldError($('number-phone'), $('number-phone-error'), phoneProblem($('number-phone').value));
  });
  $('number-agent').addEventListener('change', () =>
    showFieldError($('number-agent'), $('number-agent-error'), $('number-agent').value ? null : Texts.agentRequired));
  $('number-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    setText($('number-form-error'), '');
    if (!validateNumberForm()) {
      ($('number-phone').getAttribute('aria-invalid') ? $('number-phone') : $('number-agent')).focus();
      return;
    }
    const submit = event.submitter ?? $('number-form').querySelector('[type=submit]');
    submit.disabled = true;
    try {
      await api('POST', `/api/trunks/${encodeURIComponent(numberTrunkId)}/numbers`,
        { phoneNumber: $('number-phone').value, agentId: $('number-agent').value });
      state.expanded.add(numberTrunkId);
      $('number-dialog').close('added');
      await refresh();
    } catch (error) {
      showServerError(error);
    } finally {
      submit.disabled = false;
    }
  });
}

function showServerError(error) {
  const detail = error.problem?.detail ?? error.message;
  const hint = error.problem?.hint;
  const text = hint ? `${detail} (${hint})` : detail;
  if (/^(Phone number|Invalid phone number)/.test(detail)) {
    showFieldError($('number-phone'), $('number-phone-error'), text);
    $('number-phone').focus();
  } else if (/^Agent/.test(detail)) {
    showFieldError($('number-agent'), $('number-agent-error'), text);
    $('number-agent').focus();
  } else {
    setText($('number-form-error'), text);
  }
}

async function reassignNumber(row, agentId) {
  const error = row.querySelector('.row-error');
  setText(error, '');
  try {
    // PATCH changes the agent only; the number keeps its additionalParams.
    await api('PATCH', numberPath(row.dataset.trunk, row.dataset.key), { agentId });
    await refresh();
  } catch (e) {
    setText(error, e.problem?.detail ?? e.message);
  }
}

async function deleteNumber(trunkId, phoneNumber) {
  await confirmAction({
    heading: `Delete ${phoneNumber}?`,
    text: `Calls to ${phoneNumber} will be rejected from now on. This cannot be undone.`,
    action: 'Delete',
    run: () => api('DELETE', numberPath(trunkId, phoneNumber)),
    fallback: () => cardOf(trunkId)?.querySelector('.chevron') ?? $('trunks-heading'),
  });
}

// ---------- confirmation ----------

let pendingConfirm = null;

function confirmAction({ heading, text, action, run, fallback }) {
  setText($('confirm-heading'), heading);
  setText($('confirm-text'), text);
  setText($('confirm-ok'), action);
  setText($('confirm-error'), '');
  pendingConfirm = run;
  openDialog($('confirm-dialog'), { focus: $('confirm-dialog').querySelector('[data-close]'), fallback });
}

function wireConfirm() {
  $('confirm-dialog').querySelector('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!pendingConfirm) return;
    $('confirm-ok').disabled = true;
    try {
      await pendingConfirm();
      pendingConfirm = null;
      $('confirm-dialog').close('done');
      await refresh();
    } catch (error) {
      setText($('confirm-error'), error.problem?.detail ?? error.message);
    } finally {
      $('confirm-ok').disabled = false;
    }
  });
}

// ---------- agents ----------

let editingAgentId = null;

function openAgentDialog(agent) {
  editingAgentId = agent?.id ?? null;
  setText($('agent-dialog-heading'), agent ? 'Edit agent' : 'Add agent');
  setText($('agent-submit'), agent ? 'Save agent' : 'Create agent');
  setText($('agent-form-error'), '');
  $('agent-title').value = agent?.title ?? '';
  $('agent-voice-enabled').checked = agent ? agent.voiceEnabled : true;
  $('agent-provider').value = agent?.voice?.provider ?? '';
  $('agent-voice-id').value = agent?.voice?.voiceId ?? '';
  $('agent-language').value = agent?.voice?.language ?? '';
  openDialog($('agent-dialog'), { focus: $('agent-title'), fallback: $('agents-heading') });
}

function wireAgentForm() {
  $('agent-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const title = $('agent-title').value;
    if (!title.trim()) {
      setText($('agent-form-error'), 'Title is required');
      $('agent-title').focus();
      return;
    }
    const provider = $('agent-provider').value, voiceId = $('agent-voice-id').value.trim(), language = $('agent-language').value.trim();
    const body = {
      title,
      voiceEnabled: $('agent-voice-enabled').checked,
      voice: provider || voiceId || language ? { provider: provider || null, voiceId: voiceId || null, language: language || null } : null,
    };
    try {
      if (editingAgentId) await api('PUT', `/api/agents/${encodeURIComponent(editingAgentId)}`, body);
      else await api('POST', '/api/agents', body);
      $('agent-dialog').close('saved');
      await refresh();
    } catch (error) {
      setText($('agent-form-error'), error.problem?.detail ?? error.message);
    }
  });
}

function deleteAgent(agent) {
  if (!agent) return;
  confirmAction({
    heading: `Delete agent ${agent.title}?`,
    text: agent.numberCount > 0 ? `It still answers ${plural(agent.numberCount, 'number', 'numbers')}: reassign or delete them first.` : 'The agent will be removed.',
    action: 'Delete agent',
    run: () => api('DELETE', `/api/agents/${encodeURIComponent(agent.id)}`),
    fallback: $('agents-heading'),
  });
}

// ---------- SIP providers ----------

let editingTrunk = null;

function openTrunkDialog(trunk) {
  editingTrunk = trunk ?? null;
  setText($('trunk-dialog-heading'), trunk ? 'Edit SIP provider' : 'Add SIP provider');
  setText($('trunk-submit'), trunk ? 'Save SIP provider' : 'Add SIP provider');
  setText($('trunk-form-error'), '');
  $('trunk-name').value = trunk?.name ?? '';
  $('trunk-region').value = trunk?.region ?? 'NA';
  $('trunk-country').value = trunk?.defaultCountry ?? '';
  $('trunk-active').checked = trunk ? trunk.active : true;
  openDialog($('trunk-dialog'), { focus: $('trunk-name'), fallback: $('trunks-heading') });
}

const trunkBody = (t) => ({ name: t.name, region: t.region, active: t.active, defaultCountry: t.defaultCountry || null });

function wireTrunkForm() {
  $('trunk-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {
      name: $('trunk-name').value,
      region: $('trunk-region').value,
      active: $('trunk-active').checked,
      defaultCountry: $('trunk-country').value.trim().toUpperCase() || null,
    };
    if (!body.name.trim()) {
      setText($('trunk-form-error'), 'Name is required');
      $('trunk-name').focus();
      return;
    }
    try {
      if (editingTrunk) await api('PUT', `/api/trunks/${encodeURIComponent(editingTrunk.id)}`, body);
      else await api('POST', '/api/trunks', body);
      $('trunk-dialog').close('saved');
      await refresh();
    } catch (error) {
      setText($('trunk-form-error'), error.problem?.detail ?? error.message);
    }
  });
}

async function toggleActive(trunk) {
  if (!trunk) return;
  if (trunk.active) {
    confirmAction({
      heading: `Deactivate ${trunk.name}?`,
      text: 'Calls from this SIP provider will be rejected until you activate it again. Its numbers are kept.',
      action: 'Deactivate',
      run: () => api('PUT', `/api/trunks/${encodeURIComponent(trunk.id)}`, { ...trunkBody(trunk), active: false }),
      fallback: () => cardOf(trunk.id)?.querySelector('.toggle-trunk'),
    });
  } else {
    await api('PUT', `/api/trunks/${encodeURIComponent(trunk.id)}`, { ...trunkBody(trunk), active: true }).catch(() => {});
    await refresh();
  }
}

function deleteTrunk(trunk) {
  if (!trunk) return;
  confirmAction({
    heading: `Delete SIP provider ${trunk.name}?`,
    text: trunk.numberCount > 0 ? `It still holds ${plural(trunk.numberCount, 'number', 'numbers')}: delete them first.` : 'The SIP provider will be removed.',
    action: 'Delete SIP provider',
    run: () => api('DELETE', `/api/trunks/${encodeURIComponent(trunk.id)}`),
    fallback: $('trunks-heading'),
  });
}

// ---------- session and pages ----------

function show(view) {
  for (const id of ['sign-in-view', 'numbers-view', 'analytics-view']) $(id).hidden = id !== view;
  const signedIn = view !== 'sign-in-view';
  $('nav').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  $('live-status').hidden = !signedIn;
  $('usage').hidden = !signedIn;
  $('nav-numbers').toggleAttribute('aria-current', view === 'numbers-view');
  $('nav-analytics').toggleAttribute('aria-current', view === 'analytics-view');
  if ($('nav-numbers').hasAttribute('aria-current')) $('nav-numbers').setAttribute('aria-current', 'page');
  if ($('nav-analytics').hasAttribute('aria-current')) $('nav-analytics').setAttribute('aria-current', 'page');
}

function route() {
  if (!state.workspace) return;
  if (location.hash === '#/analytics') {
    show('analytics-view');
    showAnalytics($('analytics-view'), state);
  } else {
    hideAnalytics();
    show('numbers-view');
  }
}

function showSignIn(message) {
  state.workspace = null;
  disconnectLive();
  show('sign-in-view');
  setText($('sign-in-error'), message ?? '');
  $('api-key').value = '';
  $('api-key').focus();
}

async function enter() {
  await load();
  route();
  connectLive({ onChange: refresh, onResync: refresh, status: $('live-status') });
}

function wireSession() {
  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const apiKey = $('api-key').value.trim();
    if (!apiKey) {
      setText($('sign-in-error'), 'API key is required');
      $('api-key').setAttribute('aria-invalid', 'true');
      $('api-key').focus();
      return;
    }
    try {
      await api('POST', '/api/session', { apiKey });
      $('api-key').value = '';
      $('api-key').removeAttribute('aria-invalid');
      setText($('sign-in-error'), '');
      await enter();
      $('main').focus();
    } catch (error) {
      setText($('sign-in-error'), error.problem?.detail ?? error.message);
      $('api-key').setAttribute('aria-invalid', 'true');
      $('api-key').focus();
    }
  });
  $('sign-out').addEventListener('click', async () => {
    await api('DELETE', '/api/session').catch(() => {});
    showSignIn('You are signed out.');
  });
  signedOut.addEventListener('signedout', () => {
    if (state.workspace) showSignIn('Your session has ended. Sign in again.');
  });
}

async function start() {
  wireCloseButtons();
  wireSession();
  wireNumberForm();
  wireConfirm();
  wireAgentForm();
  wireTrunkForm();
  wireRouteCheck();
  $('add-trunk').addEventListener('click', () => openTrunkDialog(null));
  $('add-agent').addEventListener('click', () => openAgentDialog(null));
  window.addEventListener('hashchange', route);
  try {
    await enter();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) showSignIn();
    else {
      showSignIn('The service cannot be reached. Try again in a moment.');
      console.error(error);
    }
  }
}

start();
