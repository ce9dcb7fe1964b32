#!/usr/bin/env python3
"""Independent checks of what kmsd produces, with Python's `cryptography` package (and a
little textbook elliptic-curve arithmetic for what `cryptography` lacks: Ed25519ph, SM2 ECDH).

Used by tests/it/asymmetric.rs. Every command exits 0 on success and non-zero, with a reason on
stderr, on failure. Binary inputs and outputs are files.

  verify SCHEME HASH PUB_DER MESSAGE SIGNATURE [digest]   SCHEME: pss pkcs1 ecdsa ed25519 ed25519ph mldsa
  mldsa-mu PUB_DER MESSAGE OUT_MU                          FIPS 204 mu for an empty context
  oaep-encrypt HASH PUB_DER PLAINTEXT OUT                 HASH: sha1 sha256
  ecdh PUB_DER OUT_PEER_DER                                prints the shared secret (hex)
  sm2-ecdh PUB_DER OUT_PEER_DER                            the same on the SM2 curve
  pair PRIVATE_PKCS8_DER PUB_DER                           checks the private key matches
  describe PUB_DER                                         prints the key type and size
"""

import hashlib
import secrets
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def fail(why):
    print(why, file=sys.stderr)
    sys.exit(1)


# --- Ed25519ph (RFC 8032, section 5.1) -------------------------------------------------------

P25519 = 2**255 - 19
L25519 = 2**252 + 27742317777372353535851937790883648493
D25519 = -121665 * pow(121666, P25519 - 2, P25519) % P25519


def ed_add(p, q):
    (x1, y1, z1, t1), (x2, y2, z2, t2) = p, q
    a = (y1 - x1) * (y2 - x2) % P25519
    b = (y1 + x1) * (y2 + x2) % P25519
    c = 2 * t1 * t2 * D25519 % P25519
    d = 2 * z1 * z2 % P25519
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P25519, g * h % P25519, f * g % P25519, e * h % P25519)


def ed_mul(s, p):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = ed_add(q, p)
        p = ed_add(p, p)
        s >>= 1
    return q


def ed_equal(p, q):
    (x1, y1, z1, _), (x2, y2, z2, _) = p, q
    return (x1 * z2 - x2 * z1) % P25519 == 0 and (y1 * z2 - y2 * z1) % P25519 == 0


def ed_decompress(data):
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P25519:
        return None
    x2 = (y * y - 1) * pow(D25519 * y * y + 1, P25519 - 2, P25519) % P25519
    x = pow(x2, (P25519 + 3) // 8, P25519)
    if (x * x - x2) % P25519 != 0:
        x = x * pow(2, (P25519 - 1) // 4, P25519) % P25519
    if (x * x - x2) % P25519 != 0 or (x == 0 and sign):
        return None
    if x & 1 != sign:
        x = P25519 - x
    return (x, y, 1, x * y % P25519)


def ed25519ph_verify(public, message, signature):
    base_y = 4 * pow(5, P25519 - 2, P25519) % P25519
    base = ed_decompress(base_y.to_bytes(32, "little"))
    a = ed_decompress(public)
    r = ed_decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L25519:
        return False
    dom = b"SigEd25519 no Ed25519 collisions" + bytes([1, 0])
    ph = hashlib.sha512(message).digest()
    k = int.from_bytes(hashlib.sha512(dom + signature[:32] + public + ph).digest(), "little") % L25519
    return ed_equal(ed_mul(s, base), ed_add(r, ed_mul(k, a)))


# --- SM2 curve ECDH (GB/T 32918.5 parameters) -------------------------------------------------

SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
SM2_A = SM2_P - 3
SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
SM2_G = (
    0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)


def sm2_add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % SM2_P == 0:
        return None
    if p == q:
        lam = (3 * p[0] * p[0] + SM2_A) * pow(2 * p[1], SM2_P - 2, SM2_P) % SM2_P
    else:
        lam = (q[1] - p[1]) * pow(q[0] - p[0], SM2_P - 2, SM2_P) % SM2_P
    x = (lam * lam - p[0] - q[0]) % SM2_P
    return (x, (lam * (p[0] - x) - p[1]) % SM2_P)


def sm2_mul(k, p):
    r = None
    while k:
        if k & 1:
            r = sm2_add(r, p)
        p = sm2_add(p, p)
        k >>= 1
    return r


def der_len(n):
    return bytes([n]) if n < 128 else bytes([0x81, n])


def sm2_spki(point):
    oid_ec = bytes.fromhex("06072a8648ce3d0201")
    oid_sm2 = bytes.fromhex("06082a811ccf5501822d")
    algo = b"\x30" + der_len(len(oid_ec + oid_sm2)) + oid_ec + oid_sm2
    raw = b"\x04" + point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")
    bits = b"\x03" + der_len(len(raw) + 1) + b"\x00" + raw
    body = algo + bits
    return b"\x30" + der_len(len(body)) + body


def sm2_point_from_spki(der):
    raw = der[-65:]
    if raw[0] != 4:
        fail("not an uncompressed SM2 point")
    return (int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:], "big"))


# --- commands ---------------------------------------------------------------------------------


def verify(scheme, hash_name, pub_path, msg_path, sig_path, mode="raw"):
    public = serialization.load_der_public_key(read(pub_path))
    message, signature = read(msg_path), read(sig_path)
    digest = mode == "digest"
    algorithm = HASHES[hash_name]()
    chosen = utils.Prehashed(algorithm) if digest else algorithm
    try:
        if scheme == "pss":
            pad = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
            public.verify(signature, message, pad, chosen)
        elif scheme == "pkcs1":
            public.verify(signature, message, padding.PKCS1v15(), chosen)
        elif scheme == "ecdsa":
            public.verify(signature, message, ec.ECDSA(chosen))
        elif scheme == "ed25519":
            public.verify(signature, message)
        elif scheme == "ed25519ph":
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            if not ed25519ph_verify(raw, message, signature):
                raise InvalidSignature()
        elif scheme == "mldsa":
            public.verify(signature, message)
        else:
            fail(f"unknown scheme {scheme}")
    except InvalidSignature:
        fail("signature does not verify")


def mldsa_mu(pub_path, msg_path, out_path):
    public = serialization.load_der_public_key(read(pub_path))
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    tr = hashlib.shake_256(raw).digest(64)
    write(out_path, hashlib.shake_256(tr + b"\x00\x00" + read(msg_path)).digest(64))


def oaep_encrypt(hash_name, pub_path, plaintext_path, out_path):
    public = serialization.load_der_public_key(read(pub_path))
    algorithm = HASHES[hash_name]()
    pad = padding.OAEP(mgf=padding.MGF1(algorithm), algorithm=algorithm, label=None)
    write(out_path, public.encrypt(read(plaintext_path), pad))


def ecdh(pub_path, peer_out):
    theirs = serialization.load_der_public_key(read(pub_path))
    mine = ec.generate_private_key(theirs.curve)
    write(peer_out, mine.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    print(mine.exchange(ec.ECDH(), theirs).hex())


def sm2_ecdh(pub_path, peer_out):
    theirs = sm2_point_from_spki(read(pub_path))
    d = secrets.randbelow(SM2_N - 1) + 1
    write(peer_out, sm2_spki(sm2_mul(d, SM2_G)))
    print(sm2_mul(d, theirs)[0].to_bytes(32, "big").hex())


def pair(private_path, pub_path):
    private = serialization.load_der_private_key(read(private_path), password=None)
    derived = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if derived != read(pub_path):
        fail("the private key does not match the public key")


def describe(pub_path):
    public = serialization.load_der_public_key(read(pub_path))
    if isinstance(public, rsa.RSAPublicKey):
        print(f"RSA {public.key_size}")
    elif isinstance(public, ec.EllipticCurvePublicKey):
        print(f"EC {public.curve.name}")
    elif isinstance(public, ed25519.Ed25519PublicKey):
        print("Ed25519")
    else:
        print(type(public).__name__)


COMMANDS = {
    "verify": verify,
    "mldsa-mu": mldsa_mu,
    "oaep-encrypt": oaep_encrypt,
    "ecdh": ecdh,
    "sm2-ecdh": sm2_ecdh,
    "pair": pair,
    "describe": describe,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        fail(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
