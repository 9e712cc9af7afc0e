// The SIP providers on the numbers page: one card each, with its numbers when expanded; the SIP provider dialog,
// activate/deactivate and delete.
import { $, el, setText, syncList, plural, openDialog } from './dom.js';
import { api } from './api.js';
import { onRender, reload, staleAfter, trunkById, toggleTrunk, limitState } from './workspace.js';
import { confirmAction } from './confirm.js';
import { createNumberRow, updateNumberRow, openNumberDialog } from './numbers-view.js';

export function wireTrunks() {
  wireTrunkForm();
  $('add-trunk').addEventListener('click', () => openTrunkDialog(null));
  onRender((state) => {
    const limitReason = limitState();
    $('trunks-empty').hidden = state.trunks.length > 0;
    syncList($('trunks'), state.trunks, (t) => t.id, createTrunkCard, (node, t) => updateTrunkCard(node, t, state, limitReason));
  });
}

export const cardOf = (trunkId) => [...$('trunks').children].find((c) => c.dataset.key === trunkId);

const trunksChanged = () => reload(staleAfter({ kind: 'Trunks' }));

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

function updateTrunkCard(card, trunk, state, limitReason) {
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
      await trunksChanged();
    } catch (error) {
      setText($('trunk-form-error'), error.problem?.detail ?? error.message);
    }
  });
}

async function toggleActive(trunk) {
  if (!trunk) return;
  const setActive = async (active) => {
    await api('PUT', `/api/trunks/${encodeURIComponent(trunk.id)}`, { ...trunkBody(trunk), active });
    await trunksChanged();
  };
  if (trunk.active) {
    confirmAction({
      heading: `Deactivate ${trunk.name}?`,
      text: 'Calls from this SIP provider will be rejected until you activate it again. Its numbers are kept.',
      action: 'Deactivate',
      run: () => setActive(false),
      fallback: () => cardOf(trunk.id)?.querySelector('.toggle-trunk'),
    });
  } else {
    await setActive(true).catch(() => trunksChanged());
  }
}

function deleteTrunk(trunk) {
  if (!trunk) return;
  confirmAction({
    heading: `Delete SIP provider ${trunk.name}?`,
    text: trunk.numberCount > 0 ? `It still holds ${plural(trunk.numberCount, 'number', 'numbers')}: delete them first.` : 'The SIP provider will be removed.',
    action: 'Delete SIP provider',
    run: async () => {
      await api('DELETE', `/api/trunks/${encodeURIComponent(trunk.id)}`);
      await trunksChanged();
    },
    fallback: $('trunks-heading'),
  });
}
