// A minimal backend behind tenant-edge: `node app.js` (needs express: Debian node-express).
// TENANT_EDGE_JWKS_URL points at the edge's admin listener.
'use strict';

const express = require('express');
const { tenantContext } = require('./tenantContext');

const app = express();
app.use(tenantContext({ jwksUrl: process.env.TENANT_EDGE_JWKS_URL, log: console.warn }));
app.get('/', (req, res) => res.json({ hello: req.store.slug, storeId: req.store.id }));
app.listen(Number(process.env.PORT || 3000));
