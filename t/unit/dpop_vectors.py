#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""
t/unit/dpop_vectors.py: DPoP proofs (RFC 9449) made by an independent
implementation, python3-jwcrypto, for t/unit/test_dpop.c and the seed
corpus of fuzz/fuzz_dpop.c: good proofs of every algorithm, and each check
of ajwt_dpop_check() failing alone (one mutation of a good proof each).

Regenerate (Debian: apt-get install python3-jwcrypto; /usr/bin/python3,
not a pyenv one without the package) from the top of the tree:

    t/unit/dpop_vectors.py > t/unit/dpop_vectors.h

The keys are made afresh on every run and never written (only proofs and
public thumbprints are), so a run changes every proof and jkt; the file is
committed so that make check needs no Python. The clock is fixed (NOW),
the nonce secret is public test bytes, and nonces are computed here from
the format ajwt_dpop.h documents (slot big-endian, HMAC-SHA256), so that
the C side's nonce format is checked against this one too.
"""
import base64
import hashlib
import hmac
import json
import struct
import sys

from jwcrypto import jwk, jws
from jwcrypto.common import JWSEHeaderParameter

NOW = 1700000000
WINDOW, LEEWAY = 60, 5              # the conf test_dpop.c uses
SLOT = 60                           # AJWT_DPOP_NONCE_SLOT
NONCE_SECRET = b"dpop-nonce-secret-0123456789abcd"      # 32 bytes
HTU = "https://api.example.com/resource"
TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"

OK, EDPOP, ENONCE = 0, 1, 2


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def ath(token):
    return b64(hashlib.sha256(token.encode()).digest())


def nonce(slot, secret=NONCE_SECRET):
    raw = struct.pack(">q", slot)
    return b64(raw + hmac.new(secret, raw, hashlib.sha256).digest())


KEYS = {
    "ES256": jwk.JWK.generate(kty="EC", crv="P-256"),
    "ES384": jwk.JWK.generate(kty="EC", crv="P-384"),
    "ES512": jwk.JWK.generate(kty="EC", crv="P-521"),
    "EdDSA": jwk.JWK.generate(kty="OKP", crv="Ed25519"),
    "PS256": jwk.JWK.generate(kty="RSA", size=2048),
}
KEYS["RS256"] = KEYS["PS256"]
OTHER = jwk.JWK.generate(kty="EC", crv="P-256")
RSA1024 = jwk.JWK.generate(kty="RSA", size=1024)
OCT = jwk.JWK.generate(kty="oct", size=256)


def pub(key):
    if key.get("kty") == "oct":
        return {"kty": "oct"}
    return json.loads(key.export_public())


def claims(**over):
    c = {"jti": "jti-" + str(len(VECTORS)), "htm": "GET", "htu": HTU,
         "iat": NOW, "ath": ath(TOKEN)}
    for k, v in over.items():
        if v is DROP:
            c.pop(k, None)
        else:
            c[k] = v
    return c


DROP = object()


def sign(alg="ES256", key=None, hdr=None, payload=None, header_text=None,
         payload_text=None, **over):
    key = key or KEYS[alg]
    h = {"typ": "dpop+jwt", "alg": alg, "jwk": pub(key)}
    for k, v in (hdr or {}).items():
        if v is DROP:
            h.pop(k, None)
        else:
            h[k] = v
    text = payload_text if payload_text is not None else \
        json.dumps(payload if payload is not None else claims(**over),
                   separators=(",", ":"))
    # a crit extension jwcrypto is told it supports, so it signs it
    s = jws.JWS(text.encode(), header_registry={
        "foo": JWSEHeaderParameter("test extension", False, True, None)})
    s.add_signature(key, alg=None,
                    protected=header_text or json.dumps(h))
    return s.serialize(compact=True)


VECTORS = []


def vec(name, proof, expect, method="GET", htu=HTU, token=TOKEN,
        nonces=0, now=NOW, jkt=None):
    VECTORS.append(dict(name=name, proof=proof, expect=expect,
                        method=method, htu=htu, token=token, nonces=nonces,
                        now=now, jkt=jkt))


def thumb(alg):
    return KEYS[alg].thumbprint()


def main():
    # good proofs, each algorithm
    for alg in ("ES256", "ES384", "EdDSA", "PS256", "RS256"):
        vec("good " + alg, sign(alg), OK, jkt=thumb(alg))
    vec("good at a token endpoint (POST, no ath, no token)",
        sign(htm="POST", htu="https://as.example.com/login", ath=DROP), OK,
        method="POST", htu="https://as.example.com/login", token=None,
        jkt=thumb("ES256"))
    vec("good fractional iat", sign(iat=NOW - 10.25), OK, jkt=thumb("ES256"))
    vec("good iat at the window's old edge",
        sign(iat=NOW - WINDOW - LEEWAY), OK, jkt=thumb("ES256"))
    vec("good iat at the window's new edge",
        sign(iat=NOW + WINDOW + LEEWAY), OK, jkt=thumb("ES256"))
    vec("good htu: host case and default port normalised",
        sign(htu="HTTPS://API.Example.COM:443/resource"), OK,
        jkt=thumb("ES256"))
    vec("good htu: query and fragment ignored",
        sign(htu=HTU + "?a=1#f"), OK, htu=HTU + "?b=2", jkt=thumb("ES256"))
    vec("good jti of 128 bytes", sign(jti="j" * 128), OK, jkt=thumb("ES256"))
    vec("good nonce of this slot", sign(nonce=nonce(NOW // SLOT)), OK,
        nonces=1, jkt=thumb("ES256"))
    vec("good nonce of the previous slot",
        sign(nonce=nonce(NOW // SLOT - 1)), OK, nonces=1,
        jkt=thumb("ES256"))
    vec("good with extra claims and header members",
        sign(hdr={"kid": "k1"}, extra={"a": [1, 2]}), OK,
        jkt=thumb("ES256"))

    # each check failing alone
    vec("oversize (> 8192 bytes)", sign(pad="x" * 8200), EDPOP)
    good = sign()
    h, p, s = good.split(".")
    vec("not compact: two segments", h + "." + p, EDPOP)
    vec("not compact: four segments", good + ".AAAA", EDPOP)
    js = jws.JWS(json.dumps(claims()).encode())
    js.add_signature(KEYS["ES256"], protected=json.dumps(
        {"typ": "dpop+jwt", "alg": "ES256", "jwk": pub(KEYS["ES256"])}))
    vec("not compact: JSON serialization", js.serialize(), EDPOP)
    vec("bad base64url: padding", h + "=." + p + "." + s, EDPOP)
    vec("bad base64url: '+' in the signature",
        h + "." + p + "." + s[:-2] + "+" + s[-1], EDPOP)
    vec("typ missing", sign(hdr={"typ": DROP}), EDPOP)
    vec("typ jwt", sign(hdr={"typ": "jwt"}), EDPOP)
    vec("typ in another case", sign(hdr={"typ": "DPoP+jwt"}), EDPOP)
    vec("typ application/dpop+jwt",
        sign(hdr={"typ": "application/dpop+jwt"}), EDPOP)
    vec("alg not allowed (ES512)", sign("ES512"), EDPOP)
    vec("alg HS256 with an oct jwk",
        sign("HS256", key=OCT, hdr={"jwk": {"kty": "oct"}}), EDPOP)
    nh = b64(json.dumps({"typ": "dpop+jwt", "alg": "none",
                         "jwk": pub(KEYS["ES256"])}).encode())
    vec("alg none", nh + "." + p + ".", EDPOP)
    vec("jwk missing", sign(hdr={"jwk": DROP}), EDPOP)
    vec("jwk not an object", sign(hdr={"jwk": "key"}), EDPOP)
    vec("jwk kty does not fit alg (EC key, PS256)",
        sign("PS256", hdr={"jwk": pub(KEYS["ES256"])}), EDPOP)
    vec("jwk curve does not fit alg (P-384 key, ES256)",
        sign("ES256", hdr={"jwk": pub(KEYS["ES384"])}), EDPOP)
    vec("jwk kty oct", sign(hdr={"jwk": {"kty": "oct"}}), EDPOP)
    priv_ec = json.loads(KEYS["ES256"].export_private())
    vec("jwk with private d (EC)", sign(hdr={"jwk": priv_ec}), EDPOP)
    priv_okp = json.loads(KEYS["EdDSA"].export_private())
    vec("jwk with private d (OKP)", sign("EdDSA", hdr={"jwk": priv_okp}),
        EDPOP)
    priv_rsa = json.loads(KEYS["PS256"].export_private())
    for m in ("d", "p", "q", "dp", "dq", "qi"):
        j = pub(KEYS["PS256"])
        j[m] = priv_rsa[m]
        vec("jwk with private " + m + " (RSA)", sign("PS256", hdr={"jwk": j}),
            EDPOP)
    j = pub(KEYS["PS256"])
    j["oth"] = []
    vec("jwk with oth (RSA)", sign("PS256", hdr={"jwk": j}), EDPOP)
    j = pub(KEYS["ES256"])
    j["k"] = "AAAA"
    vec("jwk with k", sign(hdr={"jwk": j}), EDPOP)
    vec("jwk RSA of 1024 bits", sign("PS256", key=RSA1024), EDPOP)
    vec("crit", sign(hdr={"crit": ["foo"], "foo": 1}), EDPOP)
    vec("signed by another key than jwk",
        sign("ES256", key=OTHER, hdr={"jwk": pub(KEYS["ES256"])}), EDPOP)
    sb = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    sb[5] ^= 1
    vec("signature tampered", h + "." + p + "." + b64(bytes(sb)), EDPOP)
    vec("jti missing", sign(jti=DROP), EDPOP)
    vec("jti a number", sign(jti=7), EDPOP)
    vec("jti empty", sign(jti=""), EDPOP)
    vec("jti of 129 bytes", sign(jti="j" * 129), EDPOP)
    vec("htm other method", sign(htm="POST"), EDPOP)
    vec("htm lowercase", sign(htm="get"), EDPOP)
    vec("htm missing", sign(htm=DROP), EDPOP)
    vec("htu other path", sign(htu="https://api.example.com/other"), EDPOP)
    vec("htu path case", sign(htu="https://api.example.com/Resource"), EDPOP)
    vec("htu other host", sign(htu="https://evil.example.com/resource"),
        EDPOP)
    vec("htu other scheme", sign(htu="http://api.example.com/resource"),
        EDPOP)
    vec("htu other port", sign(htu="https://api.example.com:8443/resource"),
        EDPOP)
    vec("htu missing", sign(htu=DROP), EDPOP)
    vec("htu relative", sign(htu="/resource"), EDPOP)
    vec("iat missing", sign(iat=DROP), EDPOP)
    vec("iat a string", sign(iat=str(NOW)), EDPOP)
    vec("iat too old", sign(iat=NOW - WINDOW - LEEWAY - 1), EDPOP)
    vec("iat too new", sign(iat=NOW + WINDOW + LEEWAY + 1), EDPOP)
    vec("ath of another token", sign(ath=ath(TOKEN + "x")), EDPOP)
    vec("ath missing with a token", sign(ath=DROP), EDPOP)
    vec("ath at a token endpoint",
        sign(htm="POST", htu="https://as.example.com/login"), EDPOP,
        method="POST", htu="https://as.example.com/login", token=None)
    c = json.dumps(claims(), separators=(",", ":"))
    vec("duplicate member in the payload",
        sign(payload_text=c[:-1] + ',"jti":"again"}'), EDPOP)
    hd = json.dumps({"typ": "dpop+jwt", "alg": "ES256",
                     "jwk": pub(KEYS["ES256"])})
    vec("duplicate member in the header",
        sign(header_text=hd[:-1] + ', "typ": "dpop+jwt"}'), EDPOP)
    vec("duplicate member in the jwk",
        sign(header_text=hd[:-2] + ', "kty": "EC"}}'), EDPOP)
    vec("payload not an object", sign(payload_text="[1]"), EDPOP)

    # nonces on: the proof is otherwise good
    vec("nonce missing", sign(), ENONCE, nonces=1)
    vec("nonce two slots old", sign(nonce=nonce(NOW // SLOT - 2)), ENONCE,
        nonces=1)
    vec("nonce of the next slot", sign(nonce=nonce(NOW // SLOT + 1)), ENONCE,
        nonces=1)
    vec("nonce of another secret",
        sign(nonce=nonce(NOW // SLOT, b"another-secret-0123456789abcdefg")),
        ENONCE, nonces=1)
    n = nonce(NOW // SLOT)
    vec("nonce tampered",
        sign(nonce=n[:20] + ("A" if n[20] != "A" else "B") + n[21:]),
        ENONCE, nonces=1)
    vec("nonce not a string", sign(nonce=5), ENONCE, nonces=1)

    out = sys.stdout
    out.write("/* SPDX-License-Identifier: Apache-2.0 */\n"
              "/* Generated by t/unit/dpop_vectors.py (python3-jwcrypto): "
              "do not edit. */\n"
              "#ifndef DPOP_VECTORS_H\n#define DPOP_VECTORS_H\n\n")
    out.write("#define DPOP_V_NOW %d\n#define DPOP_V_WINDOW %d\n"
              "#define DPOP_V_LEEWAY %d\n#define DPOP_V_NONCE_SECRET %s\n"
              "#define DPOP_V_TOKEN %s\n#define DPOP_V_ATH %s\n"
              "#define DPOP_V_OK %d\n#define DPOP_V_EDPOP %d\n"
              "#define DPOP_V_ENONCE %d\n\n"
              % (NOW, WINDOW, LEEWAY, json.dumps(NONCE_SECRET.decode()),
                 json.dumps(TOKEN), json.dumps(ath(TOKEN)), OK, EDPOP,
                 ENONCE))
    out.write("static const struct dpop_vector {\n"
              "    const char *name, *proof, *method, *htu, *token, *jkt;\n"
              "    int nonces, expect;\n    long long now;\n"
              "} dpop_vectors[] = {\n")

    def lit(s):
        return "NULL" if s is None else json.dumps(s)
    for v in VECTORS:
        out.write("    { %s,\n      %s,\n      %s, %s, %s, %s, %d, %d, %dLL"
                  " },\n" % (lit(v["name"]), lit(v["proof"]), lit(v["method"]),
                             lit(v["htu"]), lit(v["token"]), lit(v["jkt"]),
                             v["nonces"], v["expect"], v["now"]))
    out.write("};\n\n#endif\n")


if __name__ == "__main__":
    main()
