-- CreateEnum
CREATE TYPE "RolloutStatus" AS ENUM ('running', 'paused', 'completed', 'failed', 'aborted', 'rolled_back');

-- CreateEnum
CREATE TYPE "RolloutDeviceState" AS ENUM ('queued', 'shadowing', 'notified', 'downloading', 'verifying', 'installing', 'health_check', 'succeeded', 'failed', 'timed_out', 'rolled_back', 'skipped', 'cancelled');

-- CreateTable
CREATE TABLE "rollouts" (
    "id" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "versionId" TEXT NOT NULL,
    "selector" JSONB NOT NULL,
    "strategy" JSONB NOT NULL,
    "gates" JSONB NOT NULL,
    "onFailure" TEXT NOT NULL,
    "maxConcurrent" INTEGER,
    "window" JSONB,
    "shadow" JSONB,
    "stepTimeoutSeconds" INTEGER NOT NULL,
    "maxRetries" INTEGER NOT NULL,
    "force" BOOLEAN NOT NULL DEFAULT false,
    "status" "RolloutStatus" NOT NULL,
    "statusReason" TEXT,
    "currentPhase" INTEGER NOT NULL,
    "phaseStartedAt" TIMESTAMP(3) NOT NULL,
    "phaseDoneAt" TIMESTAMP(3),
    "deviceCount" INTEGER NOT NULL,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "rollouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rollout_devices" (
    "rolloutId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "phase" INTEGER NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "shadow" BOOLEAN NOT NULL DEFAULT false,
    "state" "RolloutDeviceState" NOT NULL,
    "reason" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "previousVersionId" TEXT,
    "artifactPath" TEXT,
    "metrics" JSONB,
    "stateChangedAt" TIMESTAMP(3) NOT NULL,
    "notifiedAt" TIMESTAMP(3),
    "nextAttemptAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "rollout_devices_pkey" PRIMARY KEY ("rolloutId","deviceId")
);

-- CreateTable
CREATE TABLE "rollout_events" (
    "id" TEXT NOT NULL,
    "rolloutId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "actor" TEXT,

    CONSTRAINT "rollout_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "device_desired_models" (
    "deviceId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "versionId" TEXT NOT NULL,
    "artifactPath" TEXT NOT NULL,
    "shadowVersionId" TEXT,
    "shadowArtifactPath" TEXT,
    "shadowSamplePercent" INTEGER,
    "rollback" BOOLEAN NOT NULL DEFAULT false,
    "force" BOOLEAN NOT NULL DEFAULT false,
    "rolloutId" TEXT,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "device_desired_models_pkey" PRIMARY KEY ("deviceId","modelId")
);

-- CreateTable
CREATE TABLE "device_instructions" (
    "deviceId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "dirty" BOOLEAN NOT NULL DEFAULT true,
    "signedVersion" INTEGER NOT NULL DEFAULT 0,
    "targetsJson" TEXT,
    "snapshotJson" TEXT,
    "timestampJson" TEXT,
    "expiresAt" TIMESTAMP(3),
    "notifiedVersion" INTEGER NOT NULL DEFAULT 0,
    "changedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_instructions_pkey" PRIMARY KEY ("deviceId")
);

-- CreateTable
CREATE TABLE "device_installed_models" (
    "deviceId" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "servingVersion" TEXT,
    "previousVersion" TEXT,
    "shadowVersion" TEXT,
    "installVersion" TEXT,
    "installStep" TEXT,
    "installReason" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "device_installed_models_pkey" PRIMARY KEY ("deviceId","model")
);

-- CreateTable
CREATE TABLE "device_pins" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT,
    "groupId" TEXT,
    "modelId" TEXT NOT NULL,
    "versionId" TEXT NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_pins_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "rollouts_status_idx" ON "rollouts"("status");

-- CreateIndex
CREATE INDEX "rollouts_createdAt_idx" ON "rollouts"("createdAt");

-- CreateIndex
CREATE INDEX "rollouts_versionId_idx" ON "rollouts"("versionId");

-- CreateIndex
CREATE INDEX "rollout_devices_rolloutId_phase_state_idx" ON "rollout_devices"("rolloutId", "phase", "state");

-- CreateIndex
CREATE INDEX "rollout_devices_rolloutId_ordinal_idx" ON "rollout_devices"("rolloutId", "ordinal");

-- CreateIndex
CREATE INDEX "rollout_devices_deviceId_idx" ON "rollout_devices"("deviceId");

-- CreateIndex
CREATE INDEX "rollout_events_rolloutId_at_idx" ON "rollout_events"("rolloutId", "at");

-- CreateIndex
CREATE INDEX "device_desired_models_versionId_idx" ON "device_desired_models"("versionId");

-- CreateIndex
CREATE INDEX "device_desired_models_modelId_versionId_idx" ON "device_desired_models"("modelId", "versionId");

-- CreateIndex
CREATE INDEX "device_instructions_dirty_idx" ON "device_instructions"("dirty");

-- CreateIndex
CREATE INDEX "device_installed_models_model_servingVersion_idx" ON "device_installed_models"("model", "servingVersion");

-- CreateIndex
CREATE INDEX "device_pins_modelId_idx" ON "device_pins"("modelId");

-- CreateIndex
CREATE UNIQUE INDEX "device_pins_deviceId_modelId_key" ON "device_pins"("deviceId", "modelId");

-- CreateIndex
CREATE UNIQUE INDEX "device_pins_groupId_modelId_key" ON "device_pins"("groupId", "modelId");

-- AddForeignKey
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_events" ADD CONSTRAINT "rollout_events_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_desired_models" ADD CONSTRAINT "device_desired_models_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_desired_models" ADD CONSTRAINT "device_desired_models_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_desired_models" ADD CONSTRAINT "device_desired_models_shadowVersionId_fkey" FOREIGN KEY ("shadowVersionId") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_instructions" ADD CONSTRAINT "device_instructions_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_installed_models" ADD CONSTRAINT "device_installed_models_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_pins" ADD CONSTRAINT "device_pins_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_pins" ADD CONSTRAINT "device_pins_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "device_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_pins" ADD CONSTRAINT "device_pins_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
