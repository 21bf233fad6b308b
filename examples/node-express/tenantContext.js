// Express middleware: verifies the X-Tenant-Context header that tenant-edge adds and puts
// the store on `req.store`. Uses the stock `jose` library (Debian: node-jose; npm: jose@4),
// whose createRemoteJWKSet caches the edge's JWKS and refetches it, rate-limited, when a
// token names an unknown kid: that is how a key rotation reaches the backend by itself.
//
// Why each option is what it is:
// - algorithms: only the asymmetric ones. Never list HS256 next to a public key: that is the
//   algorithm-confusion hole (a token "signed" with the public key as an HMAC secret).
// - issuer/audience: a token minted for another service must not open this one.
// - host: the token is bound to the Host the client asked for, so a token copied from one
//   store's request cannot be replayed against another store's hostname.
// - clockTolerance: 5 s, as the edge's own verifier; tokens live 60 s.
'use strict';

const fs = require('fs');
const jose = require('jose');

function tenantContext(options = {}) {
  const issuer = options.issuer || 'tenant-edge';
  const audience = options.audience || 'tenant-backend';
  const algorithms = options.algorithms || ['ES256', 'EdDSA'];
  const keys = options.jwksFile
    ? jose.createLocalJWKSet(JSON.parse(fs.readFileSync(options.jwksFile, 'utf8')))
    : jose.createRemoteJWKSet(new URL(options.jwksUrl || 'http://127.0.0.1:9901/.well-known/jwks.json'),
        { cooldownDuration: 30000, cacheMaxAge: 600000 });

  return async function verifyTenantContext(req, res, next) {
    const token = req.headers['x-tenant-context'];
    if (typeof token !== 'string') {
      return res.status(401).json({ error: 'missing X-Tenant-Context' });
    }
    try {
      const { payload } = await jose.jwtVerify(token, keys, {
        algorithms, issuer, audience, clockTolerance: 5, typ: 'JWT',
      });
      const host = String(req.headers.host || '').replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
      if (payload.host !== host) {
        return res.status(401).json({ error: 'X-Tenant-Context is for another host' });
      }
      req.store = {
        id: payload.store_id, slug: payload.slug, host: payload.host,
        hostKind: payload.host_kind, status: payload.status,
      };
      return next();
    } catch (err) {
      // Log the reason for operators; never echo it to the client.
      if (options.log) options.log(`X-Tenant-Context rejected: ${err.code || err.message}`);
      return res.status(401).json({ error: 'invalid X-Tenant-Context' });
    }
  };
}

module.exports = { tenantContext };
