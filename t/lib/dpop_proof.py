#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""
t/lib/dpop_proof.py: DPoP proofs (RFC 9449) made by python3-jwcrypto, an
implementation independent of ours, for the Apache::Test suite. The same
CLI as t/lib/dpop_proof.mjs (npm jose). Prints the proof on stdout.

  dpop_proof.py --gen ES256|ES384|EdDSA|PS256 --out KEY.json
        make a key (private JWK JSON, mode 0600); with --htu, a proof too
  dpop_proof.py --key KEY.json --print-jkt
        the RFC 7638 SHA-256 thumbprint of the key (for cnf.jkt)
  dpop_proof.py --key KEY.json --htu URL [--htm GET] [--ath-token TOKEN]
        [--nonce N] [--iat-offset S] [--jti J]
        mutations: [--typ X] [--alg X] [--with-private] [--no-jti]
                   [--jwk-from OTHERKEY.json]

--typ '' leaves typ out. --alg X puts X in the header; when the key cannot
sign X, the proof is signed with the key's own algorithm and the header
then changed, so only the alg check is exercised (--alg none: no
signature at all). --with-private puts the private members in the jwk.
--jwk-from puts another key's public JWK in the header (signed by --key).
Debian: apt-get install python3-jwcrypto (use /usr/bin/python3).
"""
import argparse
import base64
import hashlib
import json
import os
import sys
import time
import uuid

from jwcrypto import jwk, jws


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def natural_alg(key):
    kty = key.get("kty")
    if kty == "EC":
        return {"P-256": "ES256", "P-384": "ES384",
                "P-521": "ES512"}[key.get("crv")]
    if kty == "OKP":
        return "EdDSA"
    if kty == "RSA":
        return "PS256"
    sys.exit("dpop_proof.py: no DPoP algorithm for kty %s" % kty)


def can_sign(key, alg):
    nat = natural_alg(key)
    if key.get("kty") == "RSA":
        return alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
    return alg == nat


def gen(alg):
    if alg in ("ES256", "ES384", "ES512"):
        crv = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg]
        return jwk.JWK.generate(kty="EC", crv=crv)
    if alg in ("EdDSA", "Ed25519"):
        return jwk.JWK.generate(kty="OKP", crv="Ed25519")
    if alg[:2] in ("PS", "RS"):
        return jwk.JWK.generate(kty="RSA", size=2048)
    sys.exit("dpop_proof.py: --gen takes ES256, ES384, EdDSA or PS256")


def load(path):
    with open(path) as f:
        return jwk.JWK.from_json(f.read())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--key")
    ap.add_argument("--gen")
    ap.add_argument("--out")
    ap.add_argument("--print-jkt", action="store_true")
    ap.add_argument("--htm", default="GET")
    ap.add_argument("--htu")
    ap.add_argument("--ath-token")
    ap.add_argument("--nonce")
    ap.add_argument("--iat-offset", type=float, default=0)
    ap.add_argument("--jti")
    ap.add_argument("--typ", default="dpop+jwt")
    ap.add_argument("--alg")
    ap.add_argument("--with-private", action="store_true")
    ap.add_argument("--no-jti", action="store_true")
    ap.add_argument("--jwk-from")
    a = ap.parse_args()

    if a.gen:
        if not a.out:
            sys.exit("dpop_proof.py: --gen needs --out FILE")
        key = gen(a.gen)
        fd = os.open(a.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.export_private())
        if not a.htu and not a.print_jkt:
            return
    elif a.key:
        key = load(a.key)
    else:
        sys.exit("dpop_proof.py: --key FILE or --gen ALG --out FILE")

    if a.print_jkt:
        print(key.thumbprint())         # SHA-256, RFC 7638
        return
    if not a.htu:
        sys.exit("dpop_proof.py: --htu URL is required for a proof")

    hjwk = load(a.jwk_from) if a.jwk_from else key
    jwk_obj = json.loads(hjwk.export_private() if a.with_private
                         else hjwk.export_public())
    alg = a.alg or natural_alg(key)
    sign_alg = alg if can_sign(key, alg) else natural_alg(key)

    iat = time.time() + a.iat_offset
    claims = {"htm": a.htm, "htu": a.htu,
              "iat": int(iat) if float(a.iat_offset).is_integer() else iat}
    if not a.no_jti:
        claims["jti"] = a.jti if a.jti is not None else str(uuid.uuid4())
    if a.ath_token is not None:
        claims["ath"] = b64(hashlib.sha256(a.ath_token.encode()).digest())
    if a.nonce is not None:
        claims["nonce"] = a.nonce

    def header(alg_name):
        h = {"alg": alg_name, "jwk": jwk_obj}
        if a.typ != "":
            h = {"typ": a.typ, **h}
        return json.dumps(h, separators=(",", ":"))

    s = jws.JWS(json.dumps(claims, separators=(",", ":")).encode())
    s.add_signature(key, alg=None, protected=header(sign_alg))
    proof = s.serialize(compact=True)
    if alg != sign_alg:
        _, p, sig = proof.split(".")
        proof = ".".join([b64(header(alg).encode()), p,
                          "" if alg == "none" else sig])
    print(proof)


if __name__ == "__main__":
    main()
