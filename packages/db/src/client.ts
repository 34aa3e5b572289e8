import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.ts';

export { Prisma, PrismaClient } from './generated/prisma/client.ts';
export { AuditOutcome, Role } from './generated/prisma/enums.ts';
export type * from './generated/prisma/models.ts';

export type Db = PrismaClient;

export interface CreateDbOptions {
  /** postgresql:// URL: a PostgreSQL server, or the embedded PGlite socket server. */
  url: string;
  /** Connections in this process's pool. The embedded server serialises them anyway. */
  maxConnections?: number;
}

/**
 * One database code path for both engines: @prisma/adapter-pg speaks the PostgreSQL wire
 * protocol, which PostgreSQL and the embedded PGlite socket server both serve.
 */
export function createDb({ url, maxConnections = 10 }: CreateDbOptions): Db {
  const adapter = new PrismaPg({ connectionString: url, max: maxConnections });
  return new PrismaClient({ adapter });
}
