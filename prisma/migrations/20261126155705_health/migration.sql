-- CreateEnum
CREATE TYPE "AlertState" AS ENUM ('firing', 'acknowledged', 'resolved');

-- CreateTable
CREATE TABLE "telemetry_samples" (
    "deviceId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "intervalSeconds" DOUBLE PRECISION NOT NULL,
    "cpuPercent" DOUBLE PRECISION NOT NULL,
    "memoryUsedBytes" DOUBLE PRECISION NOT NULL,
    "memoryTotalBytes" DOUBLE PRECISION NOT NULL,
    "diskUsedBytes" DOUBLE PRECISION NOT NULL,
    "diskTotalBytes" DOUBLE PRECISION NOT NULL,
    "temperatureC" DOUBLE PRECISION,
    "load1" DOUBLE PRECISION,
    "agentRssBytes" DOUBLE PRECISION NOT NULL,
    "agentVersion" TEXT NOT NULL,
    "requests" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL,
    "dropped" INTEGER NOT NULL,

    CONSTRAINT "telemetry_samples_pkey" PRIMARY KEY ("deviceId","seq")
);

-- CreateTable
CREATE TABLE "inference_samples" (
    "deviceId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "model" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "requests" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL,
    "latencyCounts" INTEGER[],
    "latencySumMs" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "inference_samples_pkey" PRIMARY KEY ("deviceId","seq","model","version")
);

-- CreateTable
CREATE TABLE "telemetry_rollups" (
    "deviceId" TEXT NOT NULL,
    "minute" TIMESTAMP(3) NOT NULL,
    "samples" INTEGER NOT NULL,
    "cpuSum" DOUBLE PRECISION NOT NULL,
    "cpuMax" DOUBLE PRECISION NOT NULL,
    "memoryUsedSum" DOUBLE PRECISION NOT NULL,
    "memoryUsedMax" DOUBLE PRECISION NOT NULL,
    "memoryTotalBytes" DOUBLE PRECISION NOT NULL,
    "temperatureSum" DOUBLE PRECISION NOT NULL,
    "temperatureSamples" INTEGER NOT NULL,
    "temperatureMax" DOUBLE PRECISION,
    "requests" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL,

    CONSTRAINT "telemetry_rollups_pkey" PRIMARY KEY ("deviceId","minute")
);

-- CreateTable
CREATE TABLE "inference_rollups" (
    "deviceId" TEXT NOT NULL,
    "minute" TIMESTAMP(3) NOT NULL,
    "model" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "requests" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL,
    "latencyCounts" INTEGER[],
    "latencySumMs" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "inference_rollups_pkey" PRIMARY KEY ("deviceId","model","version","minute")
);

-- CreateTable
CREATE TABLE "device_events" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "seq" INTEGER,
    "ts" TIMESTAMP(3) NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "source" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "model" TEXT,
    "version" TEXT,

    CONSTRAINT "device_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "health_jobs" (
    "name" TEXT NOT NULL,
    "watermark" TIMESTAMP(3) NOT NULL,
    "lastRunAt" TIMESTAMP(3) NOT NULL,
    "detail" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "health_jobs_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "alert_rules" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "metric" TEXT,
    "operator" TEXT,
    "threshold" DOUBLE PRECISION,
    "windowSeconds" INTEGER NOT NULL,
    "severity" TEXT NOT NULL,
    "selector" JSONB NOT NULL DEFAULT '{"kind":"all"}',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "builtIn" BOOLEAN NOT NULL DEFAULT false,
    "createdBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "alert_rules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alerts" (
    "id" TEXT NOT NULL,
    "ruleId" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "deviceId" TEXT,
    "state" "AlertState" NOT NULL,
    "severity" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "value" DOUBLE PRECISION,
    "openKey" TEXT,
    "firedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastTrueAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledgedAt" TIMESTAMP(3),
    "acknowledgedBy" TEXT,
    "resolvedAt" TIMESTAMP(3),

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhooks" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "secretEnc" TEXT NOT NULL,
    "minSeverity" TEXT NOT NULL DEFAULT 'info',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "webhooks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "alertId" TEXT,
    "event" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "responseStatus" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMP(3),

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "diagnostics_requests" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "requestedBy" TEXT NOT NULL,
    "requestedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" TEXT NOT NULL,
    "notifiedAt" TIMESTAMP(3),
    "uploadedAt" TIMESTAMP(3),
    "bundle" JSONB,
    "sizeBytes" INTEGER,

    CONSTRAINT "diagnostics_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "telemetry_samples_deviceId_ts_idx" ON "telemetry_samples"("deviceId", "ts");

-- CreateIndex
CREATE INDEX "telemetry_samples_receivedAt_idx" ON "telemetry_samples"("receivedAt");

-- CreateIndex
CREATE INDEX "inference_samples_deviceId_ts_idx" ON "inference_samples"("deviceId", "ts");

-- CreateIndex
CREATE INDEX "inference_samples_model_version_ts_idx" ON "inference_samples"("model", "version", "ts");

-- CreateIndex
CREATE INDEX "inference_samples_receivedAt_idx" ON "inference_samples"("receivedAt");

-- CreateIndex
CREATE INDEX "telemetry_rollups_minute_idx" ON "telemetry_rollups"("minute");

-- CreateIndex
CREATE INDEX "inference_rollups_deviceId_minute_idx" ON "inference_rollups"("deviceId", "minute");

-- CreateIndex
CREATE INDEX "inference_rollups_minute_idx" ON "inference_rollups"("minute");

-- CreateIndex
CREATE INDEX "device_events_deviceId_ts_idx" ON "device_events"("deviceId", "ts");

-- CreateIndex
CREATE INDEX "device_events_receivedAt_idx" ON "device_events"("receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "device_events_deviceId_seq_key" ON "device_events"("deviceId", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "alerts_openKey_key" ON "alerts"("openKey");

-- CreateIndex
CREATE INDEX "alerts_state_firedAt_idx" ON "alerts"("state", "firedAt");

-- CreateIndex
CREATE INDEX "alerts_deviceId_firedAt_idx" ON "alerts"("deviceId", "firedAt");

-- CreateIndex
CREATE INDEX "alerts_ruleId_firedAt_idx" ON "alerts"("ruleId", "firedAt");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_nextAttemptAt_idx" ON "webhook_deliveries"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "webhook_deliveries_webhookId_createdAt_idx" ON "webhook_deliveries"("webhookId", "createdAt");

-- CreateIndex
CREATE INDEX "diagnostics_requests_deviceId_requestedAt_idx" ON "diagnostics_requests"("deviceId", "requestedAt");

-- CreateIndex
CREATE INDEX "diagnostics_requests_status_requestedAt_idx" ON "diagnostics_requests"("status", "requestedAt");

-- AddForeignKey
ALTER TABLE "device_events" ADD CONSTRAINT "device_events_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "alert_rules"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhookId_fkey" FOREIGN KEY ("webhookId") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_alertId_fkey" FOREIGN KEY ("alertId") REFERENCES "alerts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "diagnostics_requests" ADD CONSTRAINT "diagnostics_requests_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;
