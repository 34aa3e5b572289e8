import { alertsRouter } from './routers/alerts.ts';
import { auditRouter } from './routers/audit.ts';
import { devicesRouter } from './routers/devices.ts';
import { diagnosticsRouter } from './routers/diagnostics.ts';
import { enrollTokensRouter } from './routers/enroll-tokens.ts';
import { groupsRouter } from './routers/groups.ts';
import { healthRouter } from './routers/health.ts';
import { modelsRouter } from './routers/models.ts';
import { pinsRouter } from './routers/pins.ts';
import { publisherKeysRouter } from './routers/publisher-keys.ts';
import { rolloutsRouter } from './routers/rollouts.ts';
import { systemRouter } from './routers/system.ts';
import { tokensRouter } from './routers/tokens.ts';
import { usersRouter } from './routers/users.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  system: systemRouter,
  tokens: tokensRouter,
  users: usersRouter,
  audit: auditRouter,
  devices: devicesRouter,
  enrollTokens: enrollTokensRouter,
  groups: groupsRouter,
  models: modelsRouter,
  publisherKeys: publisherKeysRouter,
  rollouts: rolloutsRouter,
  pins: pinsRouter,
  alerts: alertsRouter,
  diagnostics: diagnosticsRouter,
  health: healthRouter,
});

export type AppRouter = typeof appRouter;
export { type Context, createContext, type Services } from './context.ts';
