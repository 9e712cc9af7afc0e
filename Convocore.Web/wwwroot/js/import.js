// Import and export: a file is checked first (the dry run's report, with the rows in error), then imported with a
// progress bar that follows GET /api/numbers/import/{id}; the export is a plain download of GET /api/numbers/export.
// Everything from the file or the server is shown as text, never markup.
import { $, el, setText } from './dom.js';
import { ApiError, signedOut } from './api.js';

const ShownErrors = 200;
const PollEvery = 300;
let checked = null;

export function wireImport() {
  $('import-file').addEventListener('change', reset);
  for (const radio of document.querySelectorAll('input[name=import-mode]')) radio.addEventListener('change', reset);
  $('import-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = $('import-file').files[0];
    if (!file) {
      say('Choose a CSV or JSON file first.', 'form-error');
      return;
    }
    say('Checking…');
    try {
      const report = await send(file, true);
      checked = file;
      showReport(report, 'check');
      $('import-apply').disabled = report.summary.add + report.summary.update === 0
        || (mode() === 'all-or-nothing' && report.summary.error > 0);
    } catch (error) {
      failed(error);
    }
  });
  $('import-apply').addEventListener('click', async () => {
    if (!checked) return;
    $('import-apply').disabled = true;
    $('import-check').disabled = true;
    const bar = $('import-progress');
    bar.value = 0;
    bar.hidden = false;
    try {
      let progress = await send(checked, false);
      while (progress.phase === 'checking' || progress.phase === 'applying') {
        showProgress(progress);
        await new Promise((resolve) => setTimeout(resolve, PollEvery));
        progress = await request('GET', `/api/numbers/import/${encodeURIComponent(progress.id)}`);
      }
      bar.value = 100;
      showReport(progress, 'import');
    } catch (error) {
      failed(error);
    } finally {
      $('import-check').disabled = false;
      checked = null;
    }
  });
}

function mode() {
  return document.querySelector('input[name=import-mode]:checked')?.value ?? 'all-or-nothing';
}

function reset() {
  checked = null;
  $('import-apply').disabled = true;
  $('import-progress').hidden = true;
  $('import-report').replaceChildren();
  say('');
}

function say(text, className) {
  const result = $('import-result');
  result.className = className ?? '';
  setText(result, text);
}

function failed(error) {
  $('import-progress').hidden = true;
  say(error instanceof ApiError ? error.message : 'The file could not be sent. Try again in a moment.', 'form-error');
}

function showProgress(progress) {
  const share = progress.total === 0 ? 0 : Math.round(100 * progress.processed / progress.total);
  $('import-progress').value = share;
  say(`${progress.phase === 'checking' ? 'Checking' : 'Importing'}: ${progress.processed.toLocaleString('en')} of ${progress.total.toLocaleString('en')} rows`);
}

function showReport(report, kind) {
  const s = report.summary;
  const counts = `${s.add} to add, ${s.update} to update, ${s.unchanged} unchanged, ${s.error} with errors`;
  if (kind === 'check') {
    say(`Checked ${report.total.toLocaleString('en')} rows: ${counts}.` +
      (s.error > 0 && mode() === 'all-or-nothing' ? ' Fix the rows below, or import only the valid rows.' : ''));
  } else if (report.phase === 'failed') {
    say(report.message, 'form-error');
  } else {
    say(report.applied
      ? `Imported: ${s.add} added, ${s.update} updated, ${s.unchanged} unchanged, ${s.error} with errors.`
      : `Nothing was imported: ${s.error} rows have errors.`);
  }
  const errors = report.rows.filter((row) => row.status === 'error');
  const table = $('import-report');
  if (errors.length === 0) {
    table.replaceChildren();
    return;
  }
  table.replaceChildren(
    el('caption', {}, errors.length > ShownErrors ? `The first ${ShownErrors} of ${errors.length} rows with errors` : 'Rows with errors'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Row'), el('th', { scope: 'col' }, 'Number'), el('th', { scope: 'col' }, 'Problem'))),
    el('tbody', {}, errors.slice(0, ShownErrors).map((row) => el('tr', { 'data-row': row.row },
      el('td', {}, String(row.row)), el('td', {}, row.phoneNumber ?? ''),
      el('td', {}, row.hint ? `${row.message} (${row.hint})` : row.message)))));
}

async function send(file, dryRun) {
  const type = file.name.toLowerCase().endsWith('.json') ? 'application/json' : 'text/csv';
  return request('POST', `/api/numbers/import?dryRun=${dryRun}&mode=${mode()}`, file, type);
}

// The file goes as its bytes, so the server judges its encoding.
async function request(method, path, body, type) {
  const headers = { 'X-Convocore-Request': '1', Accept: 'application/json' };
  if (type) headers['Content-Type'] = type;
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body });
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) {
    if (response.status === 401) signedOut.dispatchEvent(new Event('signedout'));
    throw new ApiError(response.status, data);
  }
  return data;
}
