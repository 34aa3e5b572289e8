import type { AppRouter } from '@edgefleet/api/root';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type TokenView = RouterOutputs['tokens']['list'][number];
export type UserView = RouterOutputs['users']['list'][number];
export type AuditPage = RouterOutputs['audit']['list'];
export type AuditEvent = AuditPage['events'][number];
export type DevicePage = RouterOutputs['devices']['list'];
export type DeviceSummary = DevicePage['devices'][number];
export type DeviceDetail = RouterOutputs['devices']['get'];
export type DeviceStatusCounts = RouterOutputs['devices']['statusCounts'];
export type EnrollTokenView = RouterOutputs['enrollTokens']['list'][number];
export type ModelSummary = RouterOutputs['models']['list'][number];
export type ModelDetail = RouterOutputs['models']['get'];
export type ModelVersionView = ModelDetail['versions'][number];
export type ModelArtifactView = ModelVersionView['artifacts'][number];
export type PublisherKeyView = RouterOutputs['publisherKeys']['list'][number];
export type RolloutPage = RouterOutputs['rollouts']['list'];
export type RolloutSummary = RolloutPage['items'][number];
export type RolloutDetail = RouterOutputs['rollouts']['get'];
export type RolloutDevicePage = RouterOutputs['rollouts']['devices'];
export type RolloutDeviceView = RolloutDevicePage['items'][number];
export type RolloutPreview = RouterOutputs['rollouts']['preview'];
export type DeviceModelView = RouterOutputs['devices']['models'][number];
export type ModelDeployment = RouterOutputs['models']['deployments'][number];
export type PinView = RouterOutputs['pins']['list'][number];
