#!/usr/bin/env node
// Demo backend for tenant-edge: shows what a request looks like behind the proxy,
// and verifies the X-Tenant-Context header the way a real backend should.
//
//   TENANT_CONTEXT_SECRET=... node scripts/demo_backend.js 3000 [3001 ...]
//
// Node's built-in modules only (no npm packages). In an application you would use
// jsonwebtoken instead of verifyTenantContext below:
//   jwt.verify(req.get('X-Tenant-Context'), secret,
//              { algorithms: ['HS256'], audience: 'tenant-backend', issuer: 'tenant-edge' })
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');

const SECRET = process.env.TENANT_CONTEXT_SECRET || '';
const AUDIENCE = process.env.TENANT_CONTEXT_AUDIENCE || 'tenant-backend';
const ISSUER = process.env.TENANT_CONTEXT_ISSUER || 'tenant-edge';

function b64urlDecode(part) {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new Error('not base64url');
  return Buffer.from(part, 'base64url');
}

/** Verifies a compact HS256 JWS; returns the claims or throws with the reason. */
function verifyTenantContext(token, host) {
  if (!token) throw new Error('no X-Tenant-Context header');
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a compact JWS');
  const header = JSON.parse(b64urlDecode(parts[0]).toString('utf8'));
  if (header.alg !== 'HS256') throw new Error(`unexpected alg ${header.alg}`);
  const expected = crypto.createHmac('sha256', Buffer.from(SECRET, 'utf8'))
    .update(`${parts[0]}.${parts[1]}`).digest();
  const given = b64urlDecode(parts[2]);
  // timingSafeEqual needs equal lengths; compare lengths first (not secret).
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw new Error('bad signature');
  }
  const claims = JSON.parse(b64urlDecode(parts[1]).toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== ISSUER) throw new Error(`issuer ${claims.iss}`);
  if (claims.aud !== AUDIENCE) throw new Error(`audience ${claims.aud}`);
  if (typeof claims.exp !== 'number' || claims.exp <= now) throw new Error('expired');
  if (host && claims.host && claims.host !== host) throw new Error(`token is for ${claims.host}, request for ${host}`);
  return { header, claims };
}

function normalizeHost(value) {
  if (!value) return '';
  let h = value.trim().toLowerCase();
  if (!h.startsWith('[')) h = h.replace(/:\d+$/, '');
  return h.replace(/\.$/, '');
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function render(port, req, bodyBytes) {
  const headers = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  const token = req.headers['x-tenant-context'];
  let tenant = null;
  let error = null;
  if (token !== undefined) {
    try { tenant = verifyTenantContext(token, normalizeHost(req.headers.host)); } catch (e) { error = e.message; }
  }
  return {
    backend_port: port,
    method: req.method,
    url: req.url,
    http_version: req.httpVersion,
    client: req.socket.remoteAddress,
    headers: headers.map(([n, v]) => `${n}: ${v}`),
    body_bytes: bodyBytes,
    tenant_context: token === undefined ? 'absent (pass-through host)' : (tenant ? 'verified' : `REJECTED: ${error}`),
    claims: tenant ? tenant.claims : null,
  };
}

function htmlPage(info) {
  const rows = info.headers.map((line) => {
    const i = line.indexOf(': ');
    return `<tr><th>${escapeHtml(line.slice(0, i))}</th><td><code>${escapeHtml(line.slice(i + 2))}</code></td></tr>`;
  }).join('');
  const claims = info.claims
    ? `<pre>${escapeHtml(JSON.stringify(info.claims, null, 2))}</pre>` : '';
  const store = info.claims ? `${escapeHtml(info.claims.slug)} <small>(${escapeHtml(info.claims.store_id)})</small>` : 'no store';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tenant-edge demo backend</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
th{text-align:left;padding-right:1rem;vertical-align:top;white-space:nowrap}td code{word-break:break-all}
.ok{color:#15803d}.bad{color:#b91c1c}pre{background:#f4f4f5;padding:1rem;border-radius:8px}</style></head><body>
<h1>Store: ${store}</h1>
<p>${escapeHtml(info.method)} <code>${escapeHtml(info.url)}</code> on backend port ${info.backend_port}</p>
<p>X-Tenant-Context: <b class="${info.claims ? 'ok' : 'bad'}">${escapeHtml(info.tenant_context)}</b></p>
${claims}<h2>Request headers, as received</h2><table>${rows}</table></body></html>`;
}

function serve(port) {
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk) => { bytes += chunk.length; });
    req.on('end', () => {
      const info = render(port, req, bytes);
      const wantsHtml = /text\/html/.test(req.headers.accept || '') && !req.url.startsWith('/api/');
      const body = wantsHtml ? htmlPage(info) : JSON.stringify(info, null, 2) + '\n';
      res.writeHead(200, {
        'Content-Type': wantsHtml ? 'text/html; charset=utf-8' : 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
      });
      res.end(body);
      const slug = info.claims ? info.claims.slug : '-';
      console.log(`${new Date().toISOString()} :${port} ${req.method} ${req.headers.host} ${req.url} store=${slug} context=${info.tenant_context}`);
    });
  });
  server.keepAliveTimeout = 65000;
  server.listen(port, '127.0.0.1', () => console.log(`demo backend listening on 127.0.0.1:${port}`));
  return server;
}

if (require.main === module) {
  const ports = process.argv.slice(2).map(Number).filter((p) => p > 0);
  if (ports.length === 0) {
    console.error('usage: node demo_backend.js PORT [PORT ...]');
    process.exit(2);
  }
  if (!SECRET) console.error('warning: TENANT_CONTEXT_SECRET is not set: every tenant context will be rejected');
  const servers = ports.map(serve);
  const stop = () => { servers.forEach((s) => s.close()); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { verifyTenantContext };
