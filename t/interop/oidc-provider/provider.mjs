// SPDX-License-Identifier: Apache-2.0
// t/interop/oidc-provider/provider.mjs: a real OpenID Provider (panva's
// oidc-provider, pinned in package.json) for t/36_oidc_provider.t.
//
//   node provider.mjs --port N --issuer https://127.0.0.1:N \
//       --cert server.crt --key server.key --jwks private-jwks.json \
//       --client ID:SECRET [--client ...] \
//       --resource URL=ALG[,ttl=SECONDS][,scope=WORDS] [--resource ...]
//
// Serves discovery, jwks_uri and the token endpoint over HTTPS on
// 127.0.0.1:N. Only the client_credentials grant is enabled, with
// resource indicators (RFC 8707): a token request naming one of the
// --resource URLs gets an RFC 9068 JWT access token (typ at+jwt) whose aud
// is that URL, signed with ALG by the first key of the JWKS that fits it,
// living ttl seconds (default 300), with the requested scopes that the
// resource has (default "read write"). Any other resource is invalid_target.
// Clients authenticate with client_secret_basic.
//
// Prints one line "READY {json}" on stdout once it listens, then one line
// "REQ METHOD PATH STATUS" per request (the test counts the key fetches);
// exits 0 on SIGTERM or SIGINT. Nothing here mints tokens for the test:
// every token comes from oidc-provider's own token endpoint.
//
// The pin (package.json) is 8.8.1, the last release whose supported
// runtimes (Node 18 LTS and later; no package declares engines, the check
// is in its lib/index.js) include this project's Node 20: every 9.x
// release wants Node 22 LTS and says "Unsupported runtime" on 20. 8.x
// signs EdDSA; the fully-specified name Ed25519 (RFC 9864) came with 9.x,
// so t/36 skips that case on 8.x.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

import Provider, { errors } from 'oidc-provider';

function die(msg) {
  process.stderr.write(`provider.mjs: ${msg}\n`);
  process.exit(2);
}

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string' },
    issuer: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    jwks: { type: 'string' },
    client: { type: 'string', multiple: true, default: [] },
    resource: { type: 'string', multiple: true, default: [] },
  },
  strict: true,
});
for (const k of ['port', 'issuer', 'cert', 'key', 'jwks']) {
  if (!opt[k]) die(`--${k} is required`);
}
const port = Number(opt.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) die('bad --port');

const jwks = JSON.parse(readFileSync(opt.jwks, 'utf8'));

const clients = opt.client.map((c) => {
  const i = c.indexOf(':');
  if (i < 1) die(`--client ${c}: want ID:SECRET`);
  return {
    client_id: c.slice(0, i),
    client_secret: c.slice(i + 1),
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  };
});

// URL=ALG[,ttl=N][,scope=a b]
const resources = new Map();
for (const r of opt.resource) {
  const eq = r.lastIndexOf('=', r.indexOf(',') < 0 ? r.length : r.indexOf(','));
  if (eq < 1) die(`--resource ${r}: want URL=ALG[,ttl=N][,scope=WORDS]`);
  const url = r.slice(0, eq);
  const [alg, ...rest] = r.slice(eq + 1).split(',');
  const info = { alg, ttl: 300, scope: 'read write' };
  for (const kv of rest) {
    const j = kv.indexOf('=');
    const k = kv.slice(0, j);
    const v = kv.slice(j + 1);
    if (k === 'ttl') info.ttl = Number(v);
    else if (k === 'scope') info.scope = v;
    else die(`--resource ${r}: unknown option ${k}`);
  }
  resources.set(url, info);
}

const provider = new Provider(opt.issuer, {
  clients,
  jwks,
  cookies: { keys: [randomBytes(32).toString('hex')] },
  // the token endpoint's scopes are the resources' own (no OpenID scopes)
  scopes: [],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: false },
    revocation: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, resourceIndicator) {
        const info = resources.get(resourceIndicator);
        if (!info) throw new errors.InvalidTarget();
        return {
          scope: info.scope,
          audience: resourceIndicator,
          accessTokenTTL: info.ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: info.alg } },
        };
      },
    },
  },
});

// Errors of the token endpoint go to stderr, so a refused grant says why.
provider.on('grant.error', (ctx, err) => {
  process.stderr.write(`grant.error: ${err.name}: ${err.message} ${err.error_description || ''}\n`);
});
provider.on('server_error', (ctx, err) => {
  process.stderr.write(`server_error: ${err.stack}\n`);
});

const handler = provider.callback();
const server = createServer({
  cert: readFileSync(opt.cert),
  key: readFileSync(opt.key),
}, (req, res) => {
  res.on('finish', () => {
    process.stdout.write(`REQ ${req.method} ${req.url} ${res.statusCode}\n`);
  });
  handler(req, res);
});

const version = createRequire(import.meta.url)('oidc-provider/package.json').version;

server.on('error', (e) => die(`listen on 127.0.0.1:${port}: ${e.message}`));
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({
    issuer: provider.issuer,
    port,
    oidc_provider: version,
    node: process.version,
    kids: jwks.keys.map((k) => k.kid),
    resources: Object.fromEntries(resources),
  })}\n`);
});

function stop() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
