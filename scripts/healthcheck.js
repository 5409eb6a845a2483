#!/usr/bin/env node
// A container healthcheck without curl in the image: `node scripts/healthcheck.js <url>` exits 0 when the URL
// answers 2xx within 4 s, else 1. Only for the container's own loopback address, so an HTTPS portal with a
// certificate for its public name (or a self-signed one) is checked without verifying it.
'use strict';
const url = new URL(process.argv[2] ?? 'http://127.0.0.1:8080/api/health/ready');
const client = url.protocol === 'https:' ? require('node:https') : require('node:http');
const request = client.get(url, { rejectUnauthorized: false, timeout: 4000 }, (response) => {
  response.resume();
  process.exit(response.statusCode >= 200 && response.statusCode < 300 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timeout')));
request.on('error', (error) => {
  process.stderr.write(`${url.href}: ${error.message}\n`);
  process.exit(1);
});
