import type { RouterOutputs } from '@/lib/router-types';

export type FleetOverview = RouterOutputs['health']['overview'];
export type GroupHealth = FleetOverview['groups'][number];
export type ProblemDevice = FleetOverview['problems']['alerting'][number];
