import { randomBytes } from 'node:crypto';
import { openKey, sealKey } from '../../pki/key-sealing.ts';

/**
 * A webhook's signing key: generated here, shown to the operator once, stored sealed with the
 * control plane's secret (AES-GCM, the webhook id as associated data, as the CA keys are).
 */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

const recordName = (webhookId: string) => `webhook ${webhookId}`;

export const sealWebhookSecret = (secret: string, webhookId: string, key: string) =>
  sealKey(secret, recordName(webhookId), key);

export const openWebhookSecret = (secret: string, webhookId: string, sealed: string) =>
  openKey(secret, recordName(webhookId), sealed);
