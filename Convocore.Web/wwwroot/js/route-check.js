// "Check a number": what a call to a number, as a caller's provider would send it, meets now (GET /api/route-check,
// decided by the call path's own routing table), said in words. Everything shown is text, never markup.
import { $, el } from './dom.js';
import { api, ApiError } from './api.js';

export function wireRouteCheck() {
  $('route-check-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const number = $('route-check-number').value.trim();
    const result = $('route-check-result');
    if (!number) {
      result.replaceChildren(el('p', { class: 'form-error' }, 'Enter a number as a caller would dial it, e.g. +15551234567.'));
      $('route-check-number').focus();
      return;
    }
    result.replaceChildren(el('p', {}, 'Checking…'));
    try {
      const check = await api('GET', `/api/route-check?number=${encodeURIComponent(number)}`);
      result.replaceChildren(...describe(check));
    } catch (error) {
      result.replaceChildren(el('p', { class: 'form-error' },
        error instanceof ApiError ? error.message : 'The check could not be made. Try again in a moment.'));
    }
  });
}

function describe(check) {
  const number = check.phoneNumber ?? check.dialed;
  const lines = [check.outcome === 'routed'
    ? el('p', { class: 'route-routed' }, `A call to ${number} now reaches the agent ${check.agent?.title ?? check.agent?.id}.`)
    : el('p', { class: 'route-refused' }, `A call to ${number} is refused now: its provider is told "${check.hangupCause}".`)];
  const facts = [];
  if (check.trunk) facts.push(`SIP provider ${check.trunk.name}${check.trunk.active ? '' : ' (inactive)'}`);
  if (check.region) facts.push(`region ${check.region}`);
  if (check.asteriskServer) facts.push(`Asterisk ${check.asteriskServer.name} (${check.asteriskServer.state})`);
  if (facts.length) lines.push(el('p', { class: 'route-facts' }, facts.join(' · ')));
  if (check.problems.length) {
    lines.push(el('ul', { class: 'route-problems', 'aria-label': 'Problems' },
      check.problems.map((problem) => el('li', { 'data-code': problem.code }, problem.message))));
  }
  return lines;
}
