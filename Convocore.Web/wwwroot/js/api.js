// The same REST API as any client, with the session cookie. Every call carries the header that proves it comes from
// this page (cookie-authenticated writes without it are refused: CSRF).

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `Request failed (${status})`);
    this.status = status;
    this.problem = problem;
  }
}

export const signedOut = new EventTarget();

export async function api(method, path, body) {
  const headers = { 'X-Convocore-Request': '1', Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith('/api/session')) signedOut.dispatchEvent(new Event('signedout'));
    throw new ApiError(response.status, data);
  }
  return data;
}

export const get = (path) => api('GET', path);

export const numberPath = (trunkId, phoneNumber) =>
  `/api/trunks/${encodeURIComponent(trunkId)}/numbers/${encodeURIComponent(phoneNumber)}`;

export async function listNumbers(trunkId) {
  const items = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: '1000' });
    if (cursor) query.set('cursor', cursor);
    const page = await get(`/api/trunks/${encodeURIComponent(trunkId)}/numbers?${query}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}
