output "iot_data_endpoint" {
  description = "The account's AWS IoT data endpoint (ATS): EDGEFLEET_DEVICE_MQTT_HOST."
  value       = data.aws_iot_endpoint.data.endpoint_address
}

output "gateway_env" {
  description = "The gateways' broker settings (add the certificate and key files, and AmazonRootCA1.pem as EDGEFLEET_MQTT_CA_FILE)."
  value = {
    EDGEFLEET_MQTT_URL         = "mqtts://${data.aws_iot_endpoint.data.endpoint_address}:8883"
    EDGEFLEET_MQTT_SHARE_GROUP = var.share_group
    EDGEFLEET_DEVICE_MQTT_HOST = data.aws_iot_endpoint.data.endpoint_address
    EDGEFLEET_DEVICE_MQTT_PORT = "8883"
  }
}

output "ca_certificate_id" {
  description = "The registered fleet issuing CA."
  value       = aws_iot_ca_certificate.fleet.id
}

output "device_policy_name" {
  description = "Attached to every device certificate by just-in-time provisioning."
  value       = aws_iot_policy.device.name
}

output "gateway_policy_name" {
  value = aws_iot_policy.gateway.name
}

output "gateway_certificate_pem" {
  description = "The gateways' client certificate: EDGEFLEET_MQTT_CERT_FILE. Not secret, but the provider marks it sensitive: terraform output -raw gateway_certificate_pem."
  value       = aws_iot_certificate.gateway.certificate_pem
  sensitive   = true
}

output "gateway_private_key" {
  description = "The gateways' private key (EDGEFLEET_MQTT_KEY_FILE) when AWS IoT made it; null with gateway_csr_pem_file."
  value       = aws_iot_certificate.gateway.private_key
  sensitive   = true
}

output "telemetry_archive_bucket" {
  description = "Where the telemetry archive rule writes (null when telemetry_archive is off)."
  value       = var.telemetry_archive ? aws_s3_bucket.telemetry[0].bucket : null
}

output "rule_error_log_group" {
  value = aws_cloudwatch_log_group.rule_errors.name
}
