// Calls to Burrow's API. A failed fetch (the server away) is marked `network` so the page can clear
// the message once it reconnects.

let onSignedOut = () => {};
export function whenSignedOut(handler) { onSignedOut = handler; }

export class APIError extends Error {
  constructor(message, { status = 0, network = false } = {}) {
    super(message);
    this.status = status;
    this.network = network;
  }
}

export async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { credentials: 'same-origin', ...options });
  } catch (error) {
    throw new APIError(`Burrow does not answer (${error.message})`, { network: true });
  }
  if (response.status === 401) { onSignedOut(); throw new APIError('not signed in', { status: 401 }); }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { const body = await response.json(); message = body.error + (body.detail ? ` — ${body.detail}` : ''); } catch (_) { /* not JSON */ }
    throw new APIError(message, { status: response.status });
  }
  return response;
}

export const apiJSON = async (path, options) => (await api(path, options)).json();

export function postJSON(path, body) {
  return apiJSON(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}
