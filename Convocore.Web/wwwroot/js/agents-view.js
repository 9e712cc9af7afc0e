// The agents list on the numbers page and the agent dialog (add, edit), with delete behind a confirmation.
import { $, el, setText, syncList, plural, openDialog } from './dom.js';
import { api } from './api.js';
import { onRender, reload, staleAfter, agentById } from './workspace.js';
import { confirmAction } from './confirm.js';

export function wireAgents() {
  wireAgentForm();
  $('add-agent').addEventListener('click', () => openAgentDialog(null));
  onRender((state) => {
    $('agents-empty').hidden = state.agents.length > 0;
    syncList($('agents'), state.agents, (a) => a.id, createAgentRow, updateAgentRow);
  });
}

const agentsChanged = () => reload(staleAfter({ kind: 'Agents' }));

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
      await agentsChanged();
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
    run: async () => {
      await api('DELETE', `/api/agents/${encodeURIComponent(agent.id)}`);
      await agentsChanged();
    },
    fallback: $('agents-heading'),
  });
}
