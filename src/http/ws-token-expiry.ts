import type { WebSocket } from 'ws';
import type { Viewer } from '../auth/viewer';

/** setTimeout's longest delay (about 24.8 days); longer waits are taken in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Closes a graphql-ws socket when the token it was opened with expires: 4403 (Forbidden), which
 * graphql-ws clients answer by reconnecting, with a fresh token when their `connectionParams`
 * is a function. Without this, subscriptions on a socket kept open would outlive the token.
 */
export function closeWhenExpired(socket: WebSocket, viewer: Viewer): void {
  if (viewer.kind === 'anonymous' || viewer.expiresAt === undefined) return;
  // Closed while its token was being checked: its 'close' has fired already, so a timer set now would never be cleared.
  if (socket.readyState === socket.CLOSING || socket.readyState === socket.CLOSED) return;
  const expiresAt = viewer.expiresAt;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const wait = expiresAt - Date.now();
    if (wait <= 0) {
      socket.close(4403, 'Forbidden: the token has expired');
      return;
    }
    timer = setTimeout(arm, Math.min(wait, MAX_DELAY_MS));
    timer.unref();
  };
  arm();
  socket.once('close', () => clearTimeout(timer));
}
