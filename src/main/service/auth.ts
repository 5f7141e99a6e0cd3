/**
 * The credentials port: where the data service gets the access token it
 * sends as `Authorization: Bearer` to the data center (snapshot, live feed,
 * commands). Main keeps the credentials (safeStorage) and the login; the
 * service only asks for a token and says when one was refused, so a refresh
 * can happen before the next attempt. No token: requests go without one
 * (an open demo data center).
 */
export interface AccessTokenSource {
  /** a current access token, or null to send none */
  token(): Promise<string | null> | string | null;
  /** the data center answered 401 to this token */
  invalidate?(token: string | null): void;
}

/** A fixed token (tests, kiosks with a service account). */
export function staticToken(token: string | null): AccessTokenSource {
  return { token: () => token };
}
