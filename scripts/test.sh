#!/usr/bin/env bash
# `npm test`: every test. Unit and integration (vitest, against embedded PGlite and, when a
# server is reachable, PostgreSQL), then end-to-end in real Chromium against `npm start`.
set -euo pipefail
cd "$(dirname "$0")/.."

npx vitest run
npx playwright test -c tests/e2e/playwright.config.ts
