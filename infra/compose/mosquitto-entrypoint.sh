#!/bin/sh
# Runs Mosquitto with the config `npm run broker-config` generated, and sends it SIGHUP whenever
# the fleet CRL changes, so that revoked devices are refused at their next TLS handshake.
#
# The gateways rewrite the CRL (EDGEFLEET_MQTT_CRL_FILE) by rename when a device is revoked;
# Mosquitto reads its TLS files again on SIGHUP (config reload). The image has no inotify tools,
# so this polls a checksum every CRL_POLL_SECONDS (default 5). A reload that overlaps a rename
# sees the old or the new file, never half of one, and the next poll catches the newer one.
#
# Environment: MOSQUITTO_CONF (default /var/lib/edgefleet/broker/mosquitto.conf),
# MOSQUITTO_CRL (default: crl.pem beside it), CRL_POLL_SECONDS.
set -eu

conf=${MOSQUITTO_CONF:-/var/lib/edgefleet/broker/mosquitto.conf}
crl=${MOSQUITTO_CRL:-$(dirname "$conf")/crl.pem}
interval=${CRL_POLL_SECONDS:-5}

if [ ! -r "$conf" ]; then
  echo "mosquitto-entrypoint: $conf not found: run broker-config first" >&2
  exit 1
fi

checksum() {
  cksum <"$crl" 2>/dev/null || echo missing
}

mosquitto -c "$conf" &
pid=$!
# Stop the broker with us (docker stop sends SIGTERM to PID 1, this script).
trap 'kill -TERM "$pid" 2>/dev/null || true' TERM INT

last=$(checksum)
while kill -0 "$pid" 2>/dev/null; do
  # Sleep in the background so a SIGTERM is handled at once, not after the sleep.
  sleep "$interval" &
  wait $! 2>/dev/null || true
  now=$(checksum)
  if [ "$now" != "$last" ]; then
    last=$now
    echo "mosquitto-entrypoint: $crl changed; reloading (SIGHUP)" >&2
    kill -HUP "$pid" 2>/dev/null || true
  fi
done

status=0
wait "$pid" || status=$?
exit "$status"
