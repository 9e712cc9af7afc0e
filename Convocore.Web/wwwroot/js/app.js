// The dashboard's entry: which page shows, the header, and the live feed. Each view keeps its own module and renders
// from the shared state (workspace.js); a live change re-reads only what it names.
import { $, setText, plural, wireCloseButtons } from './dom.js';
import { ApiError } from './api.js';
import { connectLive, disconnectLive } from './live.js';
import { showAnalytics, hideAnalytics, callsEnded } from './analytics.js';
import { wireRouteCheck } from './route-check.js';
import { wireImport } from './import.js';
import { showSettings, hideSettings } from './settings.js';
import { showAudit, hideAudit } from './audit.js';
import { state, onRender, reload, readAll, staleAfter, limitState, Everything } from './workspace.js';
import { wireConfirm } from './confirm.js';
import { wireTrunks } from './trunks-view.js';
import { wireNumbers, showTestCallOutcome } from './numbers-view.js';
import { wireAgents } from './agents-view.js';
import { wireSession, showSignInForm } from './session.js';

const Pages = [
  { view: 'numbers-view', nav: 'nav-numbers', hash: '' },
  { view: 'analytics-view', nav: 'nav-analytics', hash: '#/analytics' },
  { view: 'settings-view', nav: 'nav-settings', hash: '#/settings' },
  { view: 'audit-view', nav: 'nav-audit', hash: '#/audit' },
];

function renderHeader() {
  const ws = state.workspace;
  setText($('usage'), ws.numberLimit === null || ws.numberLimit === undefined
    ? `${plural(ws.numberCount, 'number', 'numbers')} · ${ws.plan} plan (no limit)`
    : `${ws.numberCount} of ${plural(ws.numberLimit, 'number', 'numbers')} · ${ws.plan} plan`);
  const limitReason = limitState();
  const warning = $('limit-warning');
  setText(warning, limitReason ?? '');
  warning.hidden = !limitReason;
}

function show(view) {
  for (const page of Pages) {
    $(page.view).hidden = page.view !== view;
    if (page.view === view) $(page.nav).setAttribute('aria-current', 'page');
    else $(page.nav).removeAttribute('aria-current');
  }
  $('sign-in-view').hidden = view !== 'sign-in-view';
  const signedIn = view !== 'sign-in-view';
  for (const id of ['nav', 'sign-out', 'live-status', 'usage']) $(id).hidden = !signedIn;
}

function route() {
  if (!state.workspace) return;
  const page = Pages.find((p) => p.hash && p.hash === location.hash) ?? Pages[0];
  if (page.view === 'analytics-view') showAnalytics($('analytics-view'), state);
  else hideAnalytics();
  if (page.view === 'settings-view') showSettings($('settings-view'));
  else hideSettings();
  if (page.view === 'audit-view') showAudit($('audit-view'));
  else hideAudit();
  show(page.view);
}

function leave(message) {
  state.workspace = null;
  disconnectLive();
  show('sign-in-view');
  showSignInForm(message);
}

async function enter() {
  await readAll();
  route();
  connectLive({ onChange, onResync: () => reload(Everything), status: $('live-status') });
}

function onChange(change) {
  // Calls ended: only the analytics page (when it shows and its range covers them) reads again; no other view does.
  if (change?.kind === 'Calls') return callsEnded(change.calls);
  if (change?.kind === 'TestCall' && change.testCall) showTestCallOutcome(change.testCall);
  return reload(staleAfter(change));
}

async function start() {
  wireCloseButtons();
  wireSession({ onEnter: enter, onLeave: leave, signedIn: () => state.workspace !== null });
  wireConfirm();
  wireTrunks();
  wireNumbers();
  wireAgents();
  wireRouteCheck();
  wireImport();
  onRender(renderHeader);
  window.addEventListener('hashchange', route);
  try {
    await enter();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) leave();
    else {
      leave('The service cannot be reached. Try again in a moment.');
      console.error(error);
    }
  }
}

start();
