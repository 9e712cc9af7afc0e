// Signing in with an API key (the server keeps the session; the cookie names it) and signing out.
import { $, setText } from './dom.js';
import { api, signedOut } from './api.js';

/** onEnter runs after a sign-in; onLeave with the message to show when the session ended or the user signed out. */
export function wireSession({ onEnter, onLeave, signedIn }) {
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
      await onEnter();
      $('main').focus();
    } catch (error) {
      setText($('sign-in-error'), error.problem?.detail ?? error.message);
      $('api-key').setAttribute('aria-invalid', 'true');
      $('api-key').focus();
    }
  });
  $('sign-out').addEventListener('click', async () => {
    await api('DELETE', '/api/session').catch(() => {});
    onLeave('You are signed out.');
  });
  signedOut.addEventListener('signedout', () => {
    if (signedIn()) onLeave('Your session has ended. Sign in again.');
  });
}

export function showSignInForm(message) {
  setText($('sign-in-error'), message ?? '');
  $('api-key').value = '';
  $('api-key').focus();
}
