import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { type ArtifactStore, createLocalArtifactStore } from './artifact-store.ts';
import { createS3ArtifactStore } from './s3-artifact-store.ts';

/** The settings `loadEnv` returns that choose and configure the artifact store. */
export interface ArtifactStoreConfig {
  EDGEFLEET_DATA_DIR: string;
  EDGEFLEET_ARTIFACTS: { kind: 'local' } | { kind: 's3'; bucket: string; prefix: string };
  EDGEFLEET_S3_ENDPOINT?: string | undefined;
  EDGEFLEET_S3_REGION: string;
  EDGEFLEET_S3_FORCE_PATH_STYLE: boolean;
}

/** Local files under the data directory unless EDGEFLEET_ARTIFACTS names an s3:// bucket. */
export function createArtifactStore(config: ArtifactStoreConfig): ArtifactStore {
  const location = config.EDGEFLEET_ARTIFACTS;
  if (location.kind === 'local') return createLocalArtifactStore(join(config.EDGEFLEET_DATA_DIR, 'artifacts'));
  const endpoint = config.EDGEFLEET_S3_ENDPOINT;
  // Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles).
  const client = new S3Client({
    region: config.EDGEFLEET_S3_REGION,
    forcePathStyle: config.EDGEFLEET_S3_FORCE_PATH_STYLE,
    ...(endpoint
      ? {
          endpoint,
          // Many S3-compatible servers reject or ignore the SDK's default extra checksums; send them only when required.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
  });
  return createS3ArtifactStore({ client, bucket: location.bucket, prefix: location.prefix });
}
