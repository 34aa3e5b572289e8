-- CreateEnum
CREATE TYPE "DeviceStatus" AS ENUM ('pending', 'accepted', 'rejected', 'revoked', 'decommissioned');

-- CreateTable
CREATE TABLE "pki_material" (
    "name" TEXT NOT NULL,
    "certPem" TEXT NOT NULL,
    "keyEnc" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pki_material_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "devices" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" "DeviceStatus" NOT NULL,
    "facts" JSONB NOT NULL,
    "serialNumber" TEXT,
    "hardwareId" TEXT,
    "tags" JSONB NOT NULL DEFAULT '{}',
    "groupId" TEXT,
    "enrollmentTokenId" TEXT,
    "pollSecretHash" TEXT,
    "csrPem" TEXT,
    "publicKeyPem" TEXT NOT NULL,
    "online" BOOLEAN NOT NULL DEFAULT false,
    "lastSeenAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "decidedAt" TIMESTAMP(3),

    CONSTRAINT "devices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "device_certificates" (
    "serial" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "pem" TEXT NOT NULL,
    "notBefore" TIMESTAMP(3) NOT NULL,
    "notAfter" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "firstUsedAt" TIMESTAMP(3),
    "retiredAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "device_certificates_pkey" PRIMARY KEY ("serial")
);

-- CreateTable
CREATE TABLE "device_groups" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "selector" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "enrollment_tokens" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "groupName" TEXT NOT NULL,
    "tags" JSONB NOT NULL DEFAULT '{}',
    "maxUses" INTEGER,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "autoApprove" BOOLEAN NOT NULL DEFAULT false,
    "preauthorizedOnly" BOOLEAN NOT NULL DEFAULT false,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "enrollment_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "preauthorized_devices" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "groupName" TEXT,
    "tags" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "usedAt" TIMESTAMP(3),
    "deviceId" TEXT,

    CONSTRAINT "preauthorized_devices_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "devices_publicKeyPem_key" ON "devices"("publicKeyPem");

-- CreateIndex
CREATE INDEX "devices_createdAt_id_idx" ON "devices"("createdAt", "id");

-- CreateIndex
CREATE INDEX "devices_lastSeenAt_id_idx" ON "devices"("lastSeenAt", "id");

-- CreateIndex
CREATE INDEX "devices_status_id_idx" ON "devices"("status", "id");

-- CreateIndex
CREATE INDEX "devices_name_id_idx" ON "devices"("name", "id");

-- CreateIndex
CREATE INDEX "devices_groupId_idx" ON "devices"("groupId");

-- CreateIndex
CREATE INDEX "devices_tags_idx" ON "devices" USING GIN ("tags" jsonb_path_ops);

-- CreateIndex
CREATE INDEX "devices_serialNumber_idx" ON "devices"("serialNumber");

-- CreateIndex
CREATE INDEX "devices_hardwareId_idx" ON "devices"("hardwareId");

-- CreateIndex
CREATE INDEX "device_certificates_deviceId_idx" ON "device_certificates"("deviceId");

-- CreateIndex
CREATE INDEX "device_certificates_revokedAt_idx" ON "device_certificates"("revokedAt");

-- CreateIndex
CREATE UNIQUE INDEX "device_groups_name_key" ON "device_groups"("name");

-- CreateIndex
CREATE UNIQUE INDEX "enrollment_tokens_tokenHash_key" ON "enrollment_tokens"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "preauthorized_devices_kind_value_key" ON "preauthorized_devices"("kind", "value");

-- AddForeignKey
ALTER TABLE "devices" ADD CONSTRAINT "devices_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "device_groups"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "devices" ADD CONSTRAINT "devices_enrollmentTokenId_fkey" FOREIGN KEY ("enrollmentTokenId") REFERENCES "enrollment_tokens"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_certificates" ADD CONSTRAINT "device_certificates_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;
