variable "region" {
  description = "AWS region of the IoT Core endpoint."
  type        = string
  default     = "eu-central-1"
}

variable "name_prefix" {
  description = "Prefix for every name this module creates (policies, roles, rules, log group, stream)."
  type        = string
  default     = "edgefleet"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "issuing_ca_pem_file" {
  description = "Path to the fleet's issuing CA certificate (PEM): the CA that signs device certificates, the first certificate of the chain at GET https://<gateway>:8443/v1/ca. AWS IoT must be given the signing CA, not the root."
  type        = string
}

variable "certificate_mode" {
  description = "SNI_ONLY needs no proof of the CA's private key (which stays sealed in EdgeFleet's database); devices must send SNI, as the AWS IoT SDK does. DEFAULT needs verification_certificate_pem_file."
  type        = string
  default     = "SNI_ONLY"

  validation {
    condition     = contains(["SNI_ONLY", "DEFAULT"], var.certificate_mode)
    error_message = "certificate_mode must be SNI_ONLY or DEFAULT."
  }
}

variable "verification_certificate_pem_file" {
  description = "DEFAULT mode only: a certificate whose CN is this account's registration code (aws iot get-registration-code), signed by the issuing CA."
  type        = string
  default     = null
}

variable "share_group" {
  description = "Shared-subscription group of the gateways; must equal their EDGEFLEET_MQTT_SHARE_GROUP."
  type        = string
  default     = "edgefleet"
}

variable "gateway_client_id_prefix" {
  description = "Gateways connect with client ids starting with this (EDGEFLEET_MQTT_CLIENT_ID, e.g. edgefleet-gateway-0). Presence events of these ids are not forwarded as device status."
  type        = string
  default     = "edgefleet-gateway-"
}

variable "gateway_csr_pem_file" {
  description = "Optional CSR (PEM) for the gateways' client certificate, so that the private key never leaves you. Unset, AWS IoT makes the key pair and it is stored in the Terraform state (output gateway_private_key)."
  type        = string
  default     = null
}

variable "telemetry_archive" {
  description = "Archive every telemetry message to S3 through Kinesis Data Firehose (rule edgefleet_telemetry_archive)."
  type        = bool
  default     = true
}

variable "telemetry_archive_days" {
  description = "Days archived telemetry objects are kept in the S3 bucket."
  type        = number
  default     = 365
}

variable "rule_error_log_retention_days" {
  description = "Days the CloudWatch log group of failed rule actions keeps its events."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default = {
    project = "edgefleet"
  }
}
