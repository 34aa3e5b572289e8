import { auditRouter } from './routers/audit.ts';
import { systemRouter } from './routers/system.ts';
import { tokensRouter } from './routers/tokens.ts';
import { usersRouter } from './routers/users.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  system: systemRouter,
  tokens: tokensRouter,
  users: usersRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
export { type Context, createContext, type Services } from './context.ts';
