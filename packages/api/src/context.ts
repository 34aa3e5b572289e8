import type { Principal } from '@edgefleet/core/access';
import { scopesForRole } from '@edgefleet/core/access';
import type { FleetPki } from '@edgefleet/core/pki';
import type { ArtifactStore } from '@edgefleet/core/registry/artifact-store';
import { authenticateApiToken } from '@edgefleet/core/tokens';
import type { Db } from '@edgefleet/db/client';
import type { TRole } from '@edgefleet/protocol/scopes';
import { type Auth, CLIENT_IP_HEADER } from './auth.ts';

export interface Services {
  db: Db;
  auth: Auth;
  /** The fleet CA: approving a device issues its certificate; Settings shows the fingerprint. */
  pki: FleetPki;
  /** Model artifact bytes, content-addressed by SHA-256 (local disk or S3). */
  artifacts: ArtifactStore;
  /** The control plane's secret: seals values kept at rest (webhook signing keys). Never sent to clients. */
  secret: string;
  /** The dashboard's URL as users reach it, for links in notifications. */
  publicUrl: string;
  /** Facts shown in Settings; never secrets. */
  info: { version: string; database: 'embedded' | 'postgresql'; devicePort: number; mqttPort: number };
}

export interface Context extends Services {
  principal: Principal | null;
  /** A bearer token was presented but is unknown, revoked or expired: say so instead of "sign in". */
  rejectedToken: boolean;
  ip: string | null;
}

async function principalFromSession(auth: Auth, headers: Headers): Promise<Principal | null> {
  const session = await auth.api.getSession({ headers });
  if (!session) return null;
  const user = session.user as typeof session.user & { role?: string; disabled?: boolean };
  if (user.disabled) return null;
  const role = (user.role ?? 'viewer') as TRole;
  return {
    kind: 'user',
    userId: user.id,
    email: user.email,
    role,
    scopes: scopesForRole(role),
    sessionId: session.session.id,
  };
}

export async function createContext(services: Services, headers: Headers): Promise<Context> {
  const ip = headers.get(CLIENT_IP_HEADER);
  const authz = headers.get('authorization');
  if (authz?.toLowerCase().startsWith('bearer ')) {
    const principal = await authenticateApiToken(services.db, authz.slice(7).trim());
    return { ...services, principal, rejectedToken: principal === null, ip };
  }
  const principal = await principalFromSession(services.auth, headers);
  return { ...services, principal, rejectedToken: false, ip };
}
