import type { Viewer } from './viewer';

/** Facts about the request that audit rows and consent records keep. */
export interface RequestMeta {
  /** Client IP; X-Forwarded-For is honoured only from CUSTOMER_TRUSTED_PROXIES. */
  ip: string | null;
  userAgent: string | null;
  /** From X-Client-Source (WEBSITE, MOBILE_APP, ...), for consent records. */
  clientSource: string | null;
  traceId: string | null;
}

/**
 * Who acts, and from where: what services are handed with each call and what every audit row
 * of its unit of work records. A GraphQL Context is one (it has both fields); jobs and stream
 * consumers act as systemActor. It lives here, apart from the context and the unit of work,
 * so that neither has to import the other.
 */
export interface Actor {
  viewer: Viewer;
  meta: RequestMeta;
}

/** The service itself acting (scheduled jobs, stream consumers): audited as SERVICE `name`. */
export function systemActor(name: string): Actor {
  return {
    viewer: { kind: 'staff', role: 'SERVICE', subject: name, sessionId: null },
    meta: { ip: null, userAgent: null, clientSource: null, traceId: null },
  };
}
