/** Ids are UUIDs; anything else cannot name a row, so callers answer "not found" without a query. */
export function isUuid(value: unknown): value is string {
  // /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, written out: every id
  // of every request passes here (a gateway's 100 representations, each several times), and
  // the loop costs a fraction of the regular expression.
  if (typeof value !== 'string' || value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false; // '-'
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) {
      return false; // not 0-9, a-f, A-F
    }
  }
  return true;
}

/**
 * The one way an id from a client becomes an id: a UUID, lower-cased (PostgreSQL prints them
 * so; topics, loader keys and policy checks compare strings), or null when it is not one.
 */
export function parseUuid(value: unknown): string | null {
  return isUuid(value) ? value.toLowerCase() : null;
}
