#!/usr/bin/env python3
"""Independent checks of what kmsd produces, with Python's `cryptography` package (and a
little textbook arithmetic for what `cryptography` lacks: Ed25519ph, SM2 ECDH, ML-KEM-512).

Used through tests/it/support/tools.rs. Every command exits 0 on success and non-zero, with a
reason on stderr, on failure. Binary inputs and outputs are files.

  verify SCHEME HASH PUB_DER MESSAGE SIGNATURE [digest]   SCHEME: pss pkcs1 ecdsa ed25519 ed25519ph mldsa
  mldsa-mu PUB_DER MESSAGE OUT_MU                          FIPS 204 mu for an empty context
  oaep-encrypt HASH PUB_DER PLAINTEXT OUT                 HASH: sha1 sha256
  ecdh PUB_DER OUT_PEER_DER                                prints the shared secret (hex)
  sm2-ecdh PUB_DER OUT_PEER_DER                            the same on the SM2 curve
  pair PRIVATE_PKCS8_DER PUB_DER                           checks the private key matches
  describe PUB_DER                                         prints the key type and size
  mlkem-encap PUB_DER OUT_CIPHERTEXT                       prints the shared secret (hex)
  mlkem-decap PRIVATE_PKCS8_DER CIPHERTEXT                 prints the shared secret (hex)
  mlkem-selftest                                           textbook ML-KEM agrees with cryptography
"""

import hashlib
import secrets
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mlkem, padding, rsa, utils

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
    if n < 128:
        return bytes([n])
    return bytes([0x81, n]) if n < 256 else bytes([0x82, n >> 8, n & 0xFF])


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


# --- ML-KEM (FIPS 203, algorithms 3-18), textbook: `cryptography` has no ML-KEM-512 -------------

MLKEM_Q = 3329
# name: (k, eta1, eta2, du, dv, last arc of the OID 2.16.840.1.101.3.4.4.x)
MLKEM_PARAMS = {
    "ML-KEM-512": (2, 3, 2, 10, 4, 1),
    "ML-KEM-768": (3, 2, 2, 10, 4, 2),
    "ML-KEM-1024": (4, 2, 2, 11, 5, 3),
}


def mlkem_bitrev7(i):
    return int(f"{i:07b}"[::-1], 2)


MLKEM_ZETAS = [pow(17, mlkem_bitrev7(i), MLKEM_Q) for i in range(128)]
MLKEM_GAMMAS = [pow(17, 2 * mlkem_bitrev7(i) + 1, MLKEM_Q) for i in range(128)]


def mlkem_ntt(f):
    f, i, length = list(f), 1, 128
    while length >= 2:
        for start in range(0, 256, 2 * length):
            zeta = MLKEM_ZETAS[i]
            i += 1
            for j in range(start, start + length):
                t = zeta * f[j + length] % MLKEM_Q
                f[j + length] = (f[j] - t) % MLKEM_Q
                f[j] = (f[j] + t) % MLKEM_Q
        length //= 2
    return f


def mlkem_ntt_inverse(f):
    f, i, length = list(f), 127, 2
    while length <= 128:
        for start in range(0, 256, 2 * length):
            zeta = MLKEM_ZETAS[i]
            i -= 1
            for j in range(start, start + length):
                t = f[j]
                f[j] = (t + f[j + length]) % MLKEM_Q
                f[j + length] = zeta * (f[j + length] - t) % MLKEM_Q
        length *= 2
    return [x * 3303 % MLKEM_Q for x in f]


def mlkem_multiply_ntts(f, g):
    h = [0] * 256
    for i in range(128):
        a0, a1, b0, b1 = f[2 * i], f[2 * i + 1], g[2 * i], g[2 * i + 1]
        h[2 * i] = (a0 * b0 + a1 * b1 * MLKEM_GAMMAS[i]) % MLKEM_Q
        h[2 * i + 1] = (a0 * b1 + a1 * b0) % MLKEM_Q
    return h


def mlkem_add(f, g):
    return [(a + b) % MLKEM_Q for a, b in zip(f, g)]


def mlkem_sub(f, g):
    return [(a - b) % MLKEM_Q for a, b in zip(f, g)]


def mlkem_byte_encode(f, d):
    bits = 0
    for i, a in enumerate(f):
        bits |= (a % (1 << d) if d < 12 else a % MLKEM_Q) << (i * d)
    return bits.to_bytes(32 * d, "little")


def mlkem_byte_decode(data, d):
    bits = int.from_bytes(data, "little")
    m = 1 << d if d < 12 else MLKEM_Q
    return [((bits >> (i * d)) & ((1 << d) - 1)) % m for i in range(256)]


def mlkem_compress(f, d):
    return [(((x << d) + MLKEM_Q // 2) // MLKEM_Q) % (1 << d) for x in f]


def mlkem_decompress(f, d):
    return [(y * MLKEM_Q + (1 << (d - 1))) >> d for y in f]


def mlkem_sample_ntt(seed):
    n = 840  # enough bytes almost always; rejection sampling may need more
    while True:
        stream = hashlib.shake_128(seed).digest(n)
        out = []
        for i in range(0, n - 2, 3):
            d1 = stream[i] + 256 * (stream[i + 1] % 16)
            d2 = stream[i + 1] // 16 + 16 * stream[i + 2]
            for d in (d1, d2):
                if d < MLKEM_Q and len(out) < 256:
                    out.append(d)
            if len(out) == 256:
                return out
        n *= 2


def mlkem_sample_cbd(data, eta):
    bits = int.from_bytes(data, "little")
    f = []
    for i in range(256):
        x = sum((bits >> (2 * i * eta + j)) & 1 for j in range(eta))
        y = sum((bits >> (2 * i * eta + eta + j)) & 1 for j in range(eta))
        f.append((x - y) % MLKEM_Q)
    return f


def mlkem_prf(eta, s, b):
    return hashlib.shake_256(s + bytes([b])).digest(64 * eta)


def mlkem_g(data):
    digest = hashlib.sha3_512(data).digest()
    return digest[:32], digest[32:]


def mlkem_matrix(rho, k):
    return [[mlkem_sample_ntt(rho + bytes([j, i])) for j in range(k)] for i in range(k)]


def mlkem_pke_keygen(params, d):
    k, eta1 = params[0], params[1]
    rho, sigma = mlkem_g(d + bytes([k]))
    a = mlkem_matrix(rho, k)
    s = [mlkem_ntt(mlkem_sample_cbd(mlkem_prf(eta1, sigma, i), eta1)) for i in range(k)]
    e = [mlkem_ntt(mlkem_sample_cbd(mlkem_prf(eta1, sigma, k + i), eta1)) for i in range(k)]
    t = []
    for i in range(k):
        acc = e[i]
        for j in range(k):
            acc = mlkem_add(acc, mlkem_multiply_ntts(a[i][j], s[j]))
        t.append(acc)
    ek = b"".join(mlkem_byte_encode(p, 12) for p in t) + rho
    dk = b"".join(mlkem_byte_encode(p, 12) for p in s)
    return ek, dk


def mlkem_pke_encrypt(params, ek, m, r):
    k, eta1, eta2, du, dv = params[:5]
    t = [mlkem_byte_decode(ek[384 * i:384 * (i + 1)], 12) for i in range(k)]
    a = mlkem_matrix(ek[384 * k:], k)
    y = [mlkem_ntt(mlkem_sample_cbd(mlkem_prf(eta1, r, i), eta1)) for i in range(k)]
    e1 = [mlkem_sample_cbd(mlkem_prf(eta2, r, k + i), eta2) for i in range(k)]
    e2 = mlkem_sample_cbd(mlkem_prf(eta2, r, 2 * k), eta2)
    u = []
    for i in range(k):
        acc = [0] * 256
        for j in range(k):
            acc = mlkem_add(acc, mlkem_multiply_ntts(a[j][i], y[j]))
        u.append(mlkem_add(mlkem_ntt_inverse(acc), e1[i]))
    acc = [0] * 256
    for i in range(k):
        acc = mlkem_add(acc, mlkem_multiply_ntts(t[i], y[i]))
    mu = mlkem_decompress(mlkem_byte_decode(m, 1), 1)
    v = mlkem_add(mlkem_add(mlkem_ntt_inverse(acc), e2), mu)
    c1 = b"".join(mlkem_byte_encode(mlkem_compress(p, du), du) for p in u)
    return c1 + mlkem_byte_encode(mlkem_compress(v, dv), dv)


def mlkem_pke_decrypt(params, dk, c):
    k, du, dv = params[0], params[3], params[4]
    u = [mlkem_decompress(mlkem_byte_decode(c[32 * du * i:32 * du * (i + 1)], du), du) for i in range(k)]
    v = mlkem_decompress(mlkem_byte_decode(c[32 * du * k:], dv), dv)
    acc = [0] * 256
    for i in range(k):
        acc = mlkem_add(acc, mlkem_multiply_ntts(mlkem_byte_decode(dk[384 * i:384 * (i + 1)], 12), mlkem_ntt(u[i])))
    return mlkem_byte_encode(mlkem_compress(mlkem_sub(v, mlkem_ntt_inverse(acc)), 1), 1)


class TextbookMlKem:
    """An ML-KEM key pair from its 64-byte seed d || z (FIPS 203, algorithms 13-18)."""

    def __init__(self, name, seed):
        self.name, self.params = name, MLKEM_PARAMS[name]
        self.z = seed[32:]
        self.ek, self.dk_pke = mlkem_pke_keygen(self.params, seed[:32])

    @staticmethod
    def encapsulate(name, ek, m=None):
        m = m or secrets.token_bytes(32)
        shared, r = mlkem_g(m + hashlib.sha3_256(ek).digest())
        return shared, mlkem_pke_encrypt(MLKEM_PARAMS[name], ek, m, r)

    def decapsulate(self, c):
        m = mlkem_pke_decrypt(self.params, self.dk_pke, c)
        shared, r = mlkem_g(m + hashlib.sha3_256(self.ek).digest())
        if mlkem_pke_encrypt(self.params, self.ek, m, r) != c:
            return hashlib.shake_256(self.z + c).digest(32)
        return shared


# cryptography's classes, for the parameter sets it has.
MLKEM_CRYPTOGRAPHY = {"ML-KEM-768": mlkem.MLKEM768PrivateKey, "ML-KEM-1024": mlkem.MLKEM1024PrivateKey}
MLKEM_OID_ARC = bytes.fromhex("6086480165030404")  # 2.16.840.1.101.3.4.4 (id-alg-ml-kem-*)


def der_next(data, pos):
    """One DER element at `pos`: (tag, contents, position after it)."""
    tag, length, pos = data[pos], data[pos + 1], pos + 2
    if length & 0x80:
        n = length & 0x7F
        length, pos = int.from_bytes(data[pos:pos + n], "big"), pos + n
    return tag, data[pos:pos + length], pos + length


def mlkem_name(algorithm):
    """The parameter set of an AlgorithmIdentifier's contents, None for anything else."""
    tag, oid, end = der_next(algorithm, 0)
    if tag != 0x06 or end != len(algorithm) or oid[:-1] != MLKEM_OID_ARC:
        return None
    return {p[5]: name for name, p in MLKEM_PARAMS.items()}.get(oid[-1])


def mlkem_public(der):
    """(parameter set, encapsulation key) of an ML-KEM SubjectPublicKeyInfo, or None."""
    tag, spki, end = der_next(der, 0)
    if tag != 0x30 or end != len(der):
        return None
    tag, algorithm, pos = der_next(spki, 0)
    tag2, bits, end = der_next(spki, pos)
    name = tag == 0x30 and mlkem_name(algorithm)
    if not name or tag2 != 0x03 or end != len(spki) or bits[0] != 0:
        return None
    if len(bits) - 1 != 384 * MLKEM_PARAMS[name][0] + 32:
        fail(f"{name} public key of the wrong length")
    return name, bits[1:]


def mlkem_private(der):
    """(parameter set, 64-byte seed) of a seed-only ML-KEM PKCS#8 key, or None."""
    tag, info, end = der_next(der, 0)
    if tag != 0x30 or end != len(der):
        return None
    _, version, pos = der_next(info, 0)
    tag, algorithm, pos = der_next(info, pos)
    name = tag == 0x30 and version == b"\x00" and mlkem_name(algorithm)
    if not name:
        return None
    tag, private_key, end = der_next(info, pos)
    if tag != 0x04 or end != len(info):
        fail("PKCS#8 privateKey is not the only element after the algorithm")
    tag, seed, end = der_next(private_key, 0)
    if tag != 0x80 or len(seed) != 64 or end != len(private_key):
        fail("the ML-KEM private key is not in the seed-only form [0] IMPLICIT OCTET STRING (64)")
    return name, seed


def mlkem_spki(name, ek):
    algorithm = b"\x06\x09" + MLKEM_OID_ARC + bytes([MLKEM_PARAMS[name][5]])
    body = b"\x30" + der_len(len(algorithm)) + algorithm
    body += b"\x03" + der_len(len(ek) + 1) + b"\x00" + ek
    return b"\x30" + der_len(len(body)) + body


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
    ml_kem = mlkem_private(read(private_path))
    if ml_kem and ml_kem[0] not in MLKEM_CRYPTOGRAPHY:
        derived = mlkem_spki(ml_kem[0], TextbookMlKem(*ml_kem).ek)
    else:
        private = serialization.load_der_private_key(read(private_path), password=None)
        derived = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if derived != read(pub_path):
        fail("the private key does not match the public key")


def describe(pub_path):
    ml_kem = mlkem_public(read(pub_path))
    if ml_kem:
        print(ml_kem[0])
        return
    public = serialization.load_der_public_key(read(pub_path))
    if isinstance(public, rsa.RSAPublicKey):
        print(f"RSA {public.key_size}")
    elif isinstance(public, ec.EllipticCurvePublicKey):
        print(f"EC {public.curve.name}")
    elif isinstance(public, ed25519.Ed25519PublicKey):
        print("Ed25519")
    else:
        print(type(public).__name__)


def mlkem_encap(pub_path, ciphertext_out):
    public = mlkem_public(read(pub_path))
    if not public:
        fail("not an ML-KEM SubjectPublicKeyInfo")
    name, ek = public
    if name in MLKEM_CRYPTOGRAPHY:
        shared, ciphertext = serialization.load_der_public_key(read(pub_path)).encapsulate()
    else:
        shared, ciphertext = TextbookMlKem.encapsulate(name, ek)
    write(ciphertext_out, ciphertext)
    print(shared.hex())


def mlkem_decap(private_path, ciphertext_path):
    private = mlkem_private(read(private_path))
    if not private:
        fail("not a seed-only ML-KEM PKCS#8 private key")
    name, seed = private
    if name in MLKEM_CRYPTOGRAPHY:
        key = serialization.load_der_private_key(read(private_path), password=None)
    else:
        key = TextbookMlKem(name, seed)
    print(key.decapsulate(read(ciphertext_path)).hex())


def mlkem_selftest():
    """The textbook ML-KEM (used for ML-KEM-512) against `cryptography`, and against the
    ML-KEM-512 example key of draft-ietf-lamps-kyber-certificates (seed 0, 1, ..., 63)."""
    for name, cls in MLKEM_CRYPTOGRAPHY.items():
        seed = secrets.token_bytes(64)
        textbook, theirs = TextbookMlKem(name, seed), cls.from_seed_bytes(seed)
        if theirs.public_key().public_bytes_raw() != textbook.ek:
            fail(f"{name}: textbook key generation differs")
        shared, ciphertext = theirs.public_key().encapsulate()
        if textbook.decapsulate(ciphertext) != shared:
            fail(f"{name}: textbook decapsulation differs")
        shared, ciphertext = TextbookMlKem.encapsulate(name, textbook.ek)
        if theirs.decapsulate(ciphertext) != shared:
            fail(f"{name}: textbook encapsulation differs")
        altered = bytes([ciphertext[0] ^ 1]) + ciphertext[1:]
        if textbook.decapsulate(altered) != theirs.decapsulate(altered):
            fail(f"{name}: textbook implicit rejection differs")
    example = mlkem_spki("ML-KEM-512", TextbookMlKem("ML-KEM-512", bytes(range(64))).ek)
    expected = "0e3c8b89b54202d2545f7aba2e2aaa3cffa7b6191919ad738fab35b4f313cf71"
    if hashlib.sha256(example).hexdigest() != expected:
        fail("ML-KEM-512: the textbook key of the example seed differs")


COMMANDS = {
    "verify": verify,
    "mldsa-mu": mldsa_mu,
    "oaep-encrypt": oaep_encrypt,
    "ecdh": ecdh,
    "sm2-ecdh": sm2_ecdh,
    "pair": pair,
    "describe": describe,
    "mlkem-encap": mlkem_encap,
    "mlkem-decap": mlkem_decap,
    "mlkem-selftest": mlkem_selftest,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        fail(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
