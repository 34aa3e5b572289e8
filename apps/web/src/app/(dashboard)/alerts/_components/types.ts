import type { RouterOutputs } from '@/lib/router-types';

export type AlertPage = RouterOutputs['alerts']['list'];
export type AlertView = AlertPage['items'][number];
export type RuleView = RouterOutputs['alerts']['rules']['list'][number];
export type WebhookView = RouterOutputs['alerts']['webhooks']['list'][number];
export type DeliveryView = RouterOutputs['alerts']['webhooks']['deliveries'][number];
