#!/usr/bin/env bash
# `npm test`: every test. Unit and integration (vitest, against embedded PGlite and, when a
# server is reachable, PostgreSQL), then end-to-end in real Chromium against `npm start`.
# Ends with one line "N passed, N failed" summed over both runners.
set -uo pipefail
cd "$(dirname "$0")/.."

reports=$(mktemp -d)
status=0

npx vitest run --reporter=default --reporter=json --outputFile.json="$reports/vitest.json" || status=1
PLAYWRIGHT_JSON_OUTPUT_NAME="$reports/playwright.json" \
  npx playwright test -c tests/e2e/playwright.config.ts --reporter=line,json || status=1

node scripts/lib/test-summary.mjs "$reports/vitest.json" "$reports/playwright.json" || status=1
exit $status
