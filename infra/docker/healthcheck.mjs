#!/usr/bin/env node
/**
 * Container health probe: `node infra/docker/healthcheck.mjs <url>` exits 0 when the URL answers
 * 200 within 4 s, 1 otherwise. The slim image has no curl, and the gateway's HTTPS certificate
 * chains to the fleet CA, which the probe does not hold: for https:// it checks that the gateway
 * answers, not who it is (it connects to its own container, so there is no one to impersonate).
 */
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';

const url = process.argv[2];
if (!url) {
  console.error('usage: healthcheck.mjs <http(s)://host:port/path>');
  process.exit(2);
}

const get = url.startsWith('https:') ? httpsGet : httpGet;
const req = get(url, { rejectUnauthorized: false, timeout: 4000 }, (res) => {
  res.resume();
  if (res.statusCode !== 200) console.error(`${url}: HTTP ${res.statusCode}`);
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (e) => {
  console.error(`${url}: ${e.message}`);
  process.exit(1);
});
