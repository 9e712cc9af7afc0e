// The numbers of an expanded SIP provider card (agent, reassign in place, delete) and the Add Number dialog.
import { $, el, setText, plural, openDialog, trashIcon } from './dom.js';
import { api, numberPath } from './api.js';
import { state, reload, staleAfter, trunkById, agentById } from './workspace.js';
import { confirmAction } from './confirm.js';

// The product's fixed texts (Convocore.Contracts), shown before submit where the page can know them.
const Texts = {
  phoneRequired: 'Phone number is required',
  phoneInvalid: 'Invalid phone number format',
  phoneExists: 'Phone number already exists',
  agentRequired: 'Agent is required',
};
const E164 = /^\+[1-9][0-9]{1,14}$/;

const numbersChanged = (trunkId) => reload(staleAfter({ kind: 'Numbers', trunkId }));

export function wireNumbers() {
  wireNumberForm();
}

export function createNumberRow() {
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
    createFallbackEditor(),
    createHookToggle(),
    el('div', { class: 'number-test' },
      el('button', { type: 'button', class: 'secondary test-call' }, 'Test call'),
      el('span', { class: 'test-result', role: 'status' })),
    el('p', { class: 'field-error row-error', role: 'alert' }));
  const id = `reassign-${Math.random().toString(36).slice(2)}`;
  select.id = id;
  label.htmlFor = id;
  reassign.addEventListener('click', () => reassignNumber(row, select.value));
  row.querySelector('.delete-number').addEventListener('click', () => deleteNumber(row.dataset.trunk, row.dataset.key));
  row.querySelector('.test-call').addEventListener('click', () => placeTestCall(row));
  row.querySelector('.save-fallback').addEventListener('click', () => saveFallback(row));
  return row;
}

// ---------- routing hook ----------

// On: each call asks the workspace's routing hook (Settings) which agent takes it.
function createHookToggle() {
  const id = `hook-${Math.random().toString(36).slice(2)}`;
  const box = el('input', { type: 'checkbox', class: 'routing-hook', id });
  const toggle = el('div', { class: 'check number-hook' }, box, el('label', { for: id, class: 'routing-hook-label' }, 'Routing hook'));
  box.addEventListener('change', () => saveHook(toggle.closest('.number-row'), box));
  return toggle;
}

function updateHookToggle(row, number) {
  const box = row.querySelector('.routing-hook');
  box.checked = number.routingHook === true;
  box.setAttribute('aria-label', `Routing hook for ${number.phoneNumber}`);
}

async function saveHook(row, box) {
  const error = row.querySelector('.row-error');
  setText(error, '');
  box.disabled = true;
  try {
    await api('PATCH', numberPath(row.dataset.trunk, row.dataset.key), { routingHook: box.checked });
    await numbersChanged(row.dataset.trunk);
  } catch (e) {
    box.checked = !box.checked;
    setText(error, e.problem?.detail ?? e.message);
  } finally {
    box.disabled = false;
  }
}

// ---------- fallback ----------

const FallbackTypes = [['', 'No fallback'], ['agent', 'Another agent'], ['number', 'Phone number'], ['sip', 'SIP URI']];

/** Where calls go when the number's agent cannot take them: a type, then an agent or a destination, and Save. */
function createFallbackEditor() {
  const id = Math.random().toString(36).slice(2);
  const type = el('select', { class: 'fallback-type', id: `fallback-type-${id}` },
    ...FallbackTypes.map(([value, text]) => el('option', { value }, text)));
  const agent = el('select', { class: 'fallback-agent', id: `fallback-agent-${id}` });
  const target = el('input', { type: 'text', class: 'fallback-target', id: `fallback-target-${id}`, autocomplete: 'off', spellcheck: 'false' });
  const editor = el('div', { class: 'number-fallback' },
    el('span', { class: 'muted fallback-current' }),
    el('label', { class: 'visually-hidden fallback-type-label', for: type.id }),
    type,
    el('label', { class: 'visually-hidden fallback-agent-label', for: agent.id }),
    agent,
    el('label', { class: 'visually-hidden fallback-target-label', for: target.id }),
    target,
    el('button', { type: 'button', class: 'secondary save-fallback' }, 'Save fallback'));
  const edited = () => { editor.dataset.edited = '1'; showFallbackControls(editor); };
  type.addEventListener('change', edited);
  agent.addEventListener('change', edited);
  target.addEventListener('input', edited);
  return editor;
}

function showFallbackControls(editor) {
  const kind = editor.querySelector('.fallback-type').value;
  editor.querySelector('.fallback-agent').hidden = kind !== 'agent';
  editor.querySelector('.fallback-target').hidden = kind !== 'number' && kind !== 'sip';
  editor.querySelector('.fallback-target').placeholder = kind === 'sip' ? 'sip:user@host' : '+15551234567';
}

function describeFallback(fallback) {
  if (!fallback) return 'Fallback: none';
  if (fallback.type === 'agent') {
    const agent = agentById(fallback.agentId);
    return `Fallback: agent ${agent ? `${agent.title} (${fallback.agentId})` : fallback.agentId}`;
  }
  return `Fallback: ${fallback.type === 'number' ? fallback.phoneNumber : fallback.uri}`;
}

function updateFallbackEditor(row, number) {
  const editor = row.querySelector('.number-fallback');
  const fallback = number.fallback ?? null;
  setText(editor.querySelector('.fallback-current'), describeFallback(fallback));
  setText(editor.querySelector('.fallback-type-label'), `Fallback type of ${number.phoneNumber}`);
  setText(editor.querySelector('.fallback-agent-label'), `Fallback agent of ${number.phoneNumber}`);
  setText(editor.querySelector('.fallback-target-label'), `Fallback destination of ${number.phoneNumber}`);
  editor.querySelector('.save-fallback').setAttribute('aria-label', `Save fallback of ${number.phoneNumber}`);
  const agentSelect = editor.querySelector('.fallback-agent');
  // Any agent of the workspace may be a fallback: one that cannot take calls now leaves calls refused until it can.
  const options = state.agents.map((a) => el('option', { value: a.id }, a.unavailableReason ? `${a.title} (unavailable: ${a.unavailableReason})` : a.title));
  const chosenAgent = agentSelect.value;
  agentSelect.replaceChildren(...options);
  // What the user is editing is kept across live re-renders until saved.
  if (editor.dataset.edited === '1') {
    agentSelect.value = chosenAgent;
  } else {
    editor.querySelector('.fallback-type').value = fallback?.type ?? '';
    agentSelect.value = fallback?.type === 'agent' ? fallback.agentId : (state.agents[0]?.id ?? '');
    editor.querySelector('.fallback-target').value = fallback?.type === 'number' ? fallback.phoneNumber : fallback?.type === 'sip' ? fallback.uri : '';
  }
  showFallbackControls(editor);
}

async function saveFallback(row) {
  const editor = row.querySelector('.number-fallback');
  const error = row.querySelector('.row-error');
  setText(error, '');
  const kind = editor.querySelector('.fallback-type').value;
  const target = editor.querySelector('.fallback-target').value.trim();
  const fallback = kind === '' ? null
    : kind === 'agent' ? { type: 'agent', agentId: editor.querySelector('.fallback-agent').value }
      : kind === 'number' ? { type: 'number', phoneNumber: target }
        : { type: 'sip', uri: target };
  try {
    await api('PATCH', numberPath(row.dataset.trunk, row.dataset.key), { fallback });
    delete editor.dataset.edited;
    await numbersChanged(row.dataset.trunk);
  } catch (e) {
    const hint = e.problem?.hint;
    setText(error, hint ? `${e.problem.detail} (${hint})` : e.problem?.detail ?? e.message);
  }
}

export function updateNumberRow(row, number) {
  row.dataset.trunk = number.trunkId;
  row.dataset.agent = number.agentId;
  setText(row.querySelector('.phone'), number.phoneNumber);
  setText(row.querySelector('.number-region'), number.region);
  const calls = row.querySelector('.number-calls');
  calls.hidden = !state.volumes;
  if (state.volumes) setText(calls, `${plural(state.volumes.get(number.phoneNumber) ?? 0, 'call', 'calls')} in 30 days`);
  // The agents list is re-read when an agent changes, the number lists are not: a renamed agent shows its new title.
  setText(row.querySelector('.agent-title'), agentById(number.agentId)?.title ?? number.agentTitle ?? '(agent deleted)');
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
  row.querySelector('.test-call').setAttribute('aria-label', `Test call ${number.phoneNumber}`);
  updateFallbackEditor(row, number);
  updateHookToggle(row, number);
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

let numberTrunkId = null;

const cardChevron = (trunkId) => [...$('trunks').children].find((c) => c.dataset.key === trunkId)?.querySelector('.chevron');

export function openNumberDialog(trunkId) {
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
  openDialog($('number-dialog'), { focus: $('number-phone'), fallback: () => cardChevron(trunkId) ?? $('trunks-heading') });
}

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
      await numbersChanged(numberTrunkId);
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
    await numbersChanged(row.dataset.trunk);
  } catch (e) {
    setText(error, e.problem?.detail ?? e.message);
  }
}

function deleteNumber(trunkId, phoneNumber) {
  confirmAction({
    heading: `Delete ${phoneNumber}?`,
    text: `Calls to ${phoneNumber} will be rejected from now on. This cannot be undone.`,
    action: 'Delete',
    run: async () => {
      await api('DELETE', numberPath(trunkId, phoneNumber));
      await numbersChanged(trunkId);
    },
    fallback: () => cardChevron(trunkId) ?? $('trunks-heading'),
  });
}

// ---------- test calls ----------

// Test calls placed from this page, by call id, and the number each was placed to; a call placed from another tab
// or the API shows on its row too.
const testCalls = new Map();
// Outcomes already shown: on a fast path the outcome arrives before the answer to the POST that placed the call.
const told = new Set();

const rowOf = (phoneNumber) => [...document.querySelectorAll('.number-row')].find((r) => r.dataset.key === phoneNumber);

async function placeTestCall(row) {
  const result = row.querySelector('.test-result');
  const button = row.querySelector('.test-call');
  button.disabled = true;
  setText(result, 'Calling…');
  try {
    const placed = await api('POST', `/api/numbers/${encodeURIComponent(row.dataset.key)}/test-call`);
    testCalls.set(placed.callId, row.dataset.key);
    if (!told.has(placed.callId)) setText(result, `Calling through ${placed.server}…`);
  } catch (e) {
    setText(result, e.problem?.detail ?? e.message);
  } finally {
    button.disabled = false;
  }
}

const RefusalReasons = {
  unallocated: 'the number is not configured',
  agent_unavailable: 'its agent cannot take calls',
  trunk_inactive: 'its SIP provider is inactive',
  trunk_mismatch: 'it came in on another SIP provider',
  internal: 'an internal failure (released with congestion)',
};

const FallbackReasons = {
  agent_not_voice_enabled: 'its agent is not voice-enabled',
  agent_voice_invalid: 'its agent has no valid voice configuration',
  agent_not_found: 'its agent no longer exists',
};

/** The outcome of a test call (live change "TestCall"), in words, on its number's row. */
export function showTestCallOutcome(outcome) {
  told.add(outcome.callId);
  const row = rowOf(testCalls.get(outcome.callId) ?? outcome.phoneNumber);
  if (!row) return;
  const ms = `${outcome.ownMilliseconds.toFixed(1)} ms`;
  if (outcome.outcome === 'routed') {
    const title = agentById(outcome.agentId)?.title;
    setText(row.querySelector('.test-result'), `Test call routed to ${title ? `${title} (${outcome.agentId})` : outcome.agentId} in ${ms}`);
  } else if (outcome.outcome === 'fallback') {
    setText(row.querySelector('.test-result'), `Test call sent to the fallback: ${FallbackReasons[outcome.reason] ?? outcome.reason} (decided in ${ms})`);
  } else {
    setText(row.querySelector('.test-result'), `Test call refused: ${RefusalReasons[outcome.reason] ?? outcome.reason} (decided in ${ms})`);
  }
}
