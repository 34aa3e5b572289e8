# Topic rules (AWS IoT's rules engine). Topic rule names allow letters, digits and underscores only.

locals {
  rule_prefix = replace(var.name_prefix, "-", "_")
}

# Where a rule action that fails (throttled, denied, target missing) is recorded. Without an
# error action such a message is dropped silently.
resource "aws_cloudwatch_log_group" "rule_errors" {
  name              = "/aws/iot/${var.name_prefix}/rule-errors"
  retention_in_days = var.rule_error_log_retention_days
}

# The role the rules act as.
resource "aws_iam_role" "rules" {
  name               = "${var.name_prefix}-iot-rules"
  assume_role_policy = data.aws_iam_policy_document.iot_assume.json
}

data "aws_iam_policy_document" "rules" {
  statement {
    sid       = "RepublishPresenceAsDeviceStatus"
    actions   = ["iot:Publish"]
    resources = ["${local.iot_arn}:topic/${local.devices_topic}/*/status"]
  }

  statement {
    sid       = "RecordFailedActions"
    actions   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.rule_errors.arn}:*"]
  }

  dynamic "statement" {
    for_each = var.telemetry_archive ? [1] : []
    content {
      sid       = "ArchiveTelemetry"
      actions   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
      resources = [aws_kinesis_firehose_delivery_stream.telemetry[0].arn]
    }
  }
}

resource "aws_iam_role_policy" "rules" {
  name   = "${var.name_prefix}-iot-rules"
  role   = aws_iam_role.rules.id
  policy = data.aws_iam_policy_document.rules.json
}

# ---- Presence → edgefleet/devices/<id>/status ---------------------------------------------
#
# AWS IoT publishes a lifecycle event when any client connects or disconnects
# ($aws/events/presence/connected/<client id>, …/disconnected/<client id>), whatever the reason:
# clean disconnect, keep-alive timeout, a duplicate client id, a revoked certificate. The agent's
# own `status` message (and its last will) covers most of these; this rule makes sure the
# gateways see every one, in the same shape (ZDeviceStatus: {"v":1,"online":…}). `at` (ms since
# the epoch) and `versionNumber` order events of the same client. Gateways' own connections are
# left out.
resource "aws_iot_topic_rule" "presence" {
  name        = "${local.rule_prefix}_presence"
  description = "EdgeFleet: device connect/disconnect lifecycle events, republished as device status"
  enabled     = true
  sql_version = "2016-03-23"
  sql         = "SELECT 1 AS v, eventType = 'connected' AS online, clientId AS deviceId, timestamp AS at, versionNumber FROM '$aws/events/presence/+/+' WHERE NOT startswith(clientId, '${var.gateway_client_id_prefix}')"

  republish {
    role_arn = aws_iam_role.rules.arn
    topic    = "${local.devices_topic}/$${clientId}/status"
    qos      = 1
  }

  error_action {
    cloudwatch_logs {
      log_group_name = aws_cloudwatch_log_group.rule_errors.name
      role_arn       = aws_iam_role.rules.arn
    }
  }

  depends_on = [aws_iam_role_policy.rules]
}

# ---- Telemetry → S3 archive (Kinesis Data Firehose) ---------------------------------------------
#
# The gateways ingest telemetry through their shared subscription, whatever this rule does. The
# rule gives the fleet's telemetry a second, independent path: every message, batched and
# gzipped into S3 by day, kept telemetry_archive_days (the control plane keeps raw rows only
# EDGEFLEET_RETENTION_RAW_DAYS), readable by Athena or any batch job, and written even while
# every gateway is down. Failed deliveries land in the rule-errors log group.
resource "aws_iot_topic_rule" "telemetry_archive" {
  count = var.telemetry_archive ? 1 : 0

  name        = "${local.rule_prefix}_telemetry_archive"
  description = "EdgeFleet: every device's telemetry, archived to S3 through Firehose"
  enabled     = true
  sql_version = "2016-03-23"
  sql         = "SELECT *, topic(3) AS deviceId, timestamp() AS receivedAt FROM '${local.devices_topic}/+/telemetry'"

  firehose {
    delivery_stream_name = aws_kinesis_firehose_delivery_stream.telemetry[0].name
    role_arn             = aws_iam_role.rules.arn
    separator            = "\n"
    batch_mode           = false
  }

  error_action {
    cloudwatch_logs {
      log_group_name = aws_cloudwatch_log_group.rule_errors.name
      role_arn       = aws_iam_role.rules.arn
    }
  }

  depends_on = [aws_iam_role_policy.rules]
}

resource "aws_s3_bucket" "telemetry" {
  count         = var.telemetry_archive ? 1 : 0
  bucket_prefix = "${var.name_prefix}-telemetry-"
}

resource "aws_s3_bucket_public_access_block" "telemetry" {
  count                   = var.telemetry_archive ? 1 : 0
  bucket                  = aws_s3_bucket.telemetry[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "telemetry" {
  count  = var.telemetry_archive ? 1 : 0
  bucket = aws_s3_bucket.telemetry[0].id

  rule {
    id     = "expire-telemetry"
    status = "Enabled"
    filter {
      prefix = ""
    }
    expiration {
      days = var.telemetry_archive_days
    }
  }
}

data "aws_iam_policy_document" "firehose_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "firehose" {
  count              = var.telemetry_archive ? 1 : 0
  name               = "${var.name_prefix}-telemetry-firehose"
  assume_role_policy = data.aws_iam_policy_document.firehose_assume.json
}

resource "aws_iam_role_policy" "firehose" {
  count = var.telemetry_archive ? 1 : 0
  name  = "${var.name_prefix}-telemetry-firehose"
  role  = aws_iam_role.firehose[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = [
        "s3:AbortMultipartUpload",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:PutObject",
      ]
      Resource = [aws_s3_bucket.telemetry[0].arn, "${aws_s3_bucket.telemetry[0].arn}/*"]
    }]
  })
}

resource "aws_kinesis_firehose_delivery_stream" "telemetry" {
  count       = var.telemetry_archive ? 1 : 0
  name        = "${var.name_prefix}-telemetry"
  destination = "extended_s3"

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose[0].arn
    bucket_arn          = aws_s3_bucket.telemetry[0].arn
    prefix              = "telemetry/dt=!{timestamp:yyyy-MM-dd}/"
    error_output_prefix = "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
    buffering_size      = 5
    buffering_interval  = 300
    compression_format  = "GZIP"
  }

  depends_on = [aws_iam_role_policy.firehose]
}
