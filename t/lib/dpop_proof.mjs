#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// t/lib/dpop_proof.mjs: DPoP proofs (RFC 9449) made by the npm `jose`
// package, an implementation independent of ours, for the Apache::Test
// suite. The same CLI as t/lib/dpop_proof.py (python3-jwcrypto); see there
// for the options. Prints the proof on stdout.
//
// jose is the one t/interop/oidc-provider/node_modules holds (oidc-provider
// depends on it; npm ci there, as dev/setup and t/36 do), loaded through a
// require() rooted in that directory, since ESM resolution from t/lib
// would not look there.
import { createRequire } from 'node:module';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const require = createRequire(
    new URL('../interop/oidc-provider/package.json', import.meta.url));
const jose = require('jose');

function die(msg) {
    process.stderr.write(`dpop_proof.mjs: ${msg}\n`);
    process.exit(2);
}

const flags = new Set(['--print-jkt', '--with-private', '--no-jti']);
const opt = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (flags.has(a)) {
        opt[a.slice(2)] = true;
    } else if (a.startsWith('--') && i + 1 < argv.length) {
        opt[a.slice(2)] = argv[++i];
    } else {
        die(`unknown or incomplete option ${a}`);
    }
}

const b64 = (buf) => Buffer.from(buf).toString('base64url');

function naturalAlg(jwk) {
    if (jwk.kty === 'EC') {
        return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv];
    }
    if (jwk.kty === 'OKP') return 'EdDSA';
    if (jwk.kty === 'RSA') return 'PS256';
    return die(`no DPoP algorithm for kty ${jwk.kty}`);
}

function canSign(jwk, alg) {
    if (jwk.kty === 'RSA') return /^(RS|PS)(256|384|512)$/.test(alg);
    return alg === naturalAlg(jwk);
}

function publicOf(jwk) {
    const keep = { RSA: ['kty', 'n', 'e'], EC: ['kty', 'crv', 'x', 'y'],
                   OKP: ['kty', 'crv', 'x'] }[jwk.kty];
    return Object.fromEntries(keep.map((k) => [k, jwk[k]]));
}

async function gen(alg) {
    let kp;
    if (/^ES(256|384|512)$/.test(alg)) {
        kp = await jose.generateKeyPair(alg, { extractable: true });
    } else if (alg === 'EdDSA' || alg === 'Ed25519') {
        kp = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519',
                                                   extractable: true });
    } else if (/^(PS|RS)256$/.test(alg)) {
        kp = await jose.generateKeyPair(alg, { modulusLength: 2048,
                                               extractable: true });
    } else {
        die('--gen takes ES256, ES384, EdDSA or PS256');
    }
    return jose.exportJWK(kp.privateKey);
}

const load = (path) => JSON.parse(readFileSync(path, 'utf8'));

let key;
if (opt.gen) {
    if (!opt.out) die('--gen needs --out FILE');
    key = await gen(opt.gen);
    writeFileSync(opt.out, JSON.stringify(key), { mode: 0o600 });
    if (!opt.htu && !opt['print-jkt']) process.exit(0);
} else if (opt.key) {
    key = load(opt.key);
} else {
    die('--key FILE or --gen ALG --out FILE');
}

if (opt['print-jkt']) {
    process.stdout.write(`${await jose.calculateJwkThumbprint(key, 'sha256')}\n`);
    process.exit(0);
}
if (!opt.htu) die('--htu URL is required for a proof');

const hjwk = opt['jwk-from'] ? load(opt['jwk-from']) : key;
const jwk = opt['with-private'] ? { ...hjwk } : publicOf(hjwk);
delete jwk.key_ops;
delete jwk.ext;
const alg = opt.alg ?? naturalAlg(key);
const signAlg = canSign(key, alg) ? alg : naturalAlg(key);

const off = Number(opt['iat-offset'] ?? 0);
const now = Date.now() / 1000 + off;
const claims = { htm: opt.htm ?? 'GET', htu: opt.htu,
                 iat: Number.isInteger(off) ? Math.floor(now) : now };
if (!opt['no-jti']) claims.jti = opt.jti ?? randomUUID();
if (opt['ath-token'] !== undefined) {
    claims.ath = b64(createHash('sha256').update(opt['ath-token']).digest());
}
if (opt.nonce !== undefined) claims.nonce = opt.nonce;

const header = (a) => {
    const h = {};
    if (opt.typ !== '') h.typ = opt.typ ?? 'dpop+jwt';
    h.alg = a;
    h.jwk = jwk;
    return h;
};

const priv = await jose.importJWK(key, signAlg);
let proof = await new jose.CompactSign(
    new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader(header(signAlg))
    .sign(priv);
if (alg !== signAlg) {
    const [, p, sig] = proof.split('.');
    proof = [b64(JSON.stringify(header(alg))), p,
             alg === 'none' ? '' : sig].join('.');
}
process.stdout.write(`${proof}\n`);
