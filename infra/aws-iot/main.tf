# AWS IoT Core as EdgeFleet's MQTT broker: the fleet's issuing CA registered for just-in-time
# provisioning, one device policy that confines every device to its own topic namespace with
# policy variables, and the gateways' own certificate and policy. Rules: rules.tf. Steps: README.md.
#
# In Terraform strings "$${…}" is a literal "${…}": the AWS IoT policy variables below are
# evaluated by AWS IoT at connect/publish time, not by Terraform.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# The ATS data endpoint devices and gateways connect to (MQTT over TLS on 8883).
data "aws_iot_endpoint" "data" {
  endpoint_type = "iot:Data-ATS"
}

locals {
  iot_arn = "arn:${data.aws_partition.current.partition}:iot:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"

  # Fixed by the device protocol (packages/protocol): edgefleet/devices/<device id>/<stream>.
  devices_topic = "edgefleet/devices"
  # What a device publishes (status is also its last will) and what the gateways consume.
  device_streams = ["heartbeat", "events", "telemetry", "state", "status"]
  # What the gateways publish, retained, to each device.
  gateway_streams = ["desired", "diagnostics"]
}

# ---- The fleet CA --------------------------------------------------------------------------

# Devices present certificates issued by EdgeFleet's issuing CA (CN = device id). On a device's
# first connection AWS IoT runs the provisioning template below (just-in-time provisioning):
# registers the certificate, creates a thing named after the CN and attaches the device policy.
# That first connection is refused by design; the agent reconnects with backoff.
resource "aws_iot_ca_certificate" "fleet" {
  active                       = true
  allow_auto_registration      = true
  ca_certificate_pem           = file(var.issuing_ca_pem_file)
  certificate_mode             = var.certificate_mode
  verification_certificate_pem = var.certificate_mode == "DEFAULT" ? file(var.verification_certificate_pem_file) : null

  registration_config {
    role_arn = aws_iam_role.provisioning.arn
    template_body = jsonencode({
      Parameters = {
        "AWS::IoT::Certificate::CommonName" = { Type = "String" }
        "AWS::IoT::Certificate::Id"         = { Type = "String" }
      }
      Resources = {
        thing = {
          Type = "AWS::IoT::Thing"
          Properties = {
            ThingName        = { Ref = "AWS::IoT::Certificate::CommonName" }
            AttributePayload = { managedBy = "edgefleet" }
          }
        }
        certificate = {
          Type = "AWS::IoT::Certificate"
          Properties = {
            CertificateId = { Ref = "AWS::IoT::Certificate::Id" }
            Status        = "ACTIVE"
          }
        }
        policy = {
          Type       = "AWS::IoT::Policy"
          Properties = { PolicyName = aws_iot_policy.device.name }
        }
      }
    })
  }

  lifecycle {
    precondition {
      condition     = var.certificate_mode == "SNI_ONLY" || var.verification_certificate_pem_file != null
      error_message = "certificate_mode DEFAULT needs verification_certificate_pem_file."
    }
  }
}

data "aws_iam_policy_document" "iot_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["iot.amazonaws.com"]
    }
  }
}

# Lets AWS IoT register things and certificates when the provisioning template runs.
resource "aws_iam_role" "provisioning" {
  name               = "${var.name_prefix}-iot-provisioning"
  assume_role_policy = data.aws_iam_policy_document.iot_assume.json
}

resource "aws_iam_role_policy_attachment" "provisioning" {
  role       = aws_iam_role.provisioning.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSIoTThingsRegistration"
}

# ---- Devices: one policy, each device confined to its own namespace ---------------------------

# The client id must be the certificate's CN (the device id), so ${iot:ClientId} in the topic
# statements is that device's id and nothing else: a device can only speak in
# edgefleet/devices/<its id>/, exactly like the Mosquitto ACL `npm run broker-config` writes.
resource "aws_iot_policy" "device" {
  name = "${var.name_prefix}-device"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ConnectAsTheCertificateCN"
        Effect   = "Allow"
        Action   = "iot:Connect"
        Resource = "${local.iot_arn}:client/$${iot:Certificate.Subject.CommonName}"
      },
      {
        Sid      = "PublishOwnReports"
        Effect   = "Allow"
        Action   = "iot:Publish"
        Resource = [for s in local.device_streams : "${local.iot_arn}:topic/${local.devices_topic}/$${iot:ClientId}/${s}"]
      },
      {
        Sid      = "SubscribeOwnNamespace"
        Effect   = "Allow"
        Action   = "iot:Subscribe"
        Resource = "${local.iot_arn}:topicfilter/${local.devices_topic}/$${iot:ClientId}/*"
      },
      {
        Sid      = "ReceiveOwnNamespace"
        Effect   = "Allow"
        Action   = "iot:Receive"
        Resource = "${local.iot_arn}:topic/${local.devices_topic}/$${iot:ClientId}/*"
      },
    ]
  })
}

# ---- Gateways: a privileged client ----------------------------------------------------------

# The gateways' client certificate (EDGEFLEET_MQTT_CERT_FILE / EDGEFLEET_MQTT_KEY_FILE). Issued
# by AWS IoT, from your CSR when gateway_csr_pem_file is set.
resource "aws_iot_certificate" "gateway" {
  active = true
  csr    = var.gateway_csr_pem_file == null ? null : file(var.gateway_csr_pem_file)
}

resource "aws_iot_policy" "gateway" {
  name = "${var.name_prefix}-gateway"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ConnectAsAGateway"
        Effect   = "Allow"
        Action   = "iot:Connect"
        Resource = "${local.iot_arn}:client/${var.gateway_client_id_prefix}*"
      },
      {
        # The replicas split device messages between them: $share/<group>/edgefleet/devices/+/<stream>.
        Sid      = "SharedSubscriptionsToDeviceReports"
        Effect   = "Allow"
        Action   = "iot:Subscribe"
        Resource = [for s in local.device_streams : "${local.iot_arn}:topicfilter/$share/${var.share_group}/${local.devices_topic}/+/${s}"]
      },
      {
        Sid      = "ReceiveDeviceReports"
        Effect   = "Allow"
        Action   = "iot:Receive"
        Resource = [for s in local.device_streams : "${local.iot_arn}:topic/${local.devices_topic}/*/${s}"]
      },
      {
        # Doorbells: retained, so a device that connects later still finds them.
        Sid      = "PublishRetainedDoorbells"
        Effect   = "Allow"
        Action   = ["iot:Publish", "iot:RetainPublish"]
        Resource = [for s in local.gateway_streams : "${local.iot_arn}:topic/${local.devices_topic}/*/${s}"]
      },
    ]
  })
}

resource "aws_iot_policy_attachment" "gateway" {
  policy = aws_iot_policy.gateway.name
  target = aws_iot_certificate.gateway.arn
}
