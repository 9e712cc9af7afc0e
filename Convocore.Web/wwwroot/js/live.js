// The live feed: one SignalR connection per tab, authorized by the session cookie; the server adds it to its
// workspace's group only. A change anywhere (another tab, the REST API, another web instance) arrives as
// "workspaceChanged" and the page re-reads what it shows. After a network blip it reconnects by itself and re-syncs.

let connection = null;
let retryTimer = null;

const delays = [0, 1000, 2000, 5000, 10000];

function setStatus(node, text, live) {
  node.textContent = text;
  node.classList.toggle('is-live', live);
}

export function connectLive({ onChange, onResync, status }) {
  disconnectLive();
  const signalR = window.signalR;
  if (!signalR) {
    setStatus(status, 'Live updates unavailable', false);
    return;
  }
  const current = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/live')
    .withAutomaticReconnect({
      nextRetryDelayInMilliseconds: (context) => {
        // Refused (the session ended, e.g. its key was revoked): re-read now, which finds that out and goes to sign-in.
        // Still failing otherwise: re-read once, which also notices a session that ended meanwhile.
        if (refused(context.retryReason) || context.previousRetryCount === 2) onResync();
        return delays[Math.min(context.previousRetryCount, delays.length - 1)];
      },
    })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  connection = current;
  let subscribed = false;
  current.on('workspaceChanged', (change) => onChange(change));
  // Sent by the server once this connection's workspace feed is in place (after every connect and reconnect):
  // re-read then, so nothing changed in between is missed.
  current.on('subscribed', () => {
    subscribed = true;
    setStatus(status, 'Live', true);
    onResync();
  });
  current.onreconnecting(() => {
    subscribed = false;
    setStatus(status, 'Reconnecting…', false);
  });
  // "subscribed" may come in the same read as the handshake's answer, and then runs before this callback.
  current.onreconnected(() => {
    if (!subscribed) setStatus(status, 'Connected, syncing…', false);
  });
  current.onclose(() => {
    if (connection !== current) return;
    // Closed by the server (its session ended, say) or out of retries: re-read, which finds a session that ended.
    onResync();
    setStatus(status, 'Offline, retrying…', false);
    retryTimer = setTimeout(() => startConnection(current, status, onResync), 5000);
  });
  setStatus(status, 'Connecting…', false);
  startConnection(current, status, onResync);
}

// A negotiation the server refused for want of a live session: the client library keeps only the status in the message.
const refused = (error) => error?.statusCode === 401 || /\b401\b/.test(error?.message ?? '');

async function startConnection(current, status, onResync) {
  if (connection !== current) return;
  try {
    await current.start();
  } catch (error) {
    if (connection !== current) return;
    if (refused(error)) onResync();
    setStatus(status, 'Offline, retrying…', false);
    retryTimer = setTimeout(() => startConnection(current, status, onResync), 3000);
  }
}

export function disconnectLive() {
  clearTimeout(retryTimer);
  const old = connection;
  connection = null;
  if (old) old.stop().catch(() => {});
}

/** For tests and diagnostics: the connection's state, e.g. "Connected". */
window.convocoreLiveState = () => connection?.state ?? 'Disconnected';
