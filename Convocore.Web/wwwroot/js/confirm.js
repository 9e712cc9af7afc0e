// The one confirmation dialog: a destructive action runs only after the user confirms it; its error stays in the dialog.
import { $, setText, openDialog } from './dom.js';

let pending = null;

export function confirmAction({ heading, text, action, run, fallback }) {
  setText($('confirm-heading'), heading);
  setText($('confirm-text'), text);
  setText($('confirm-ok'), action);
  setText($('confirm-error'), '');
  pending = run;
  openDialog($('confirm-dialog'), { focus: $('confirm-dialog').querySelector('[data-close]'), fallback });
}

export function wireConfirm() {
  $('confirm-dialog').querySelector('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!pending) return;
    $('confirm-ok').disabled = true;
    try {
      await pending();
      pending = null;
      $('confirm-dialog').close('done');
    } catch (error) {
      setText($('confirm-error'), error.problem?.detail ?? error.message);
    } finally {
      $('confirm-ok').disabled = false;
    }
  });
}
