"""Offline counterparts of kmsd for imported key material (tests/it/import.rs).

Commands (hex arguments and results, paths for files):
  kwp KEK_HEX IN OUT          AES key wrap with padding (RFC 5649) of IN under KEK, with
                              Python's cryptography, as AWS's guide shows for RSA_AES_KEY_WRAP
  seal KEY ACCOUNT KEY_ID MATERIAL_ID PLAINTEXT
                              a kmsd symmetric ciphertext blob made without kmsd: the envelope
                              of src/crypto/envelope.rs, AES-256-GCM under the imported key
  open KEY BLOB               the plaintext of a kmsd symmetric ciphertext blob (no context)
  hmac HASH KEY MESSAGE       HMAC of MESSAGE under KEY (HASH: sha224, sha256, sha384, sha512)
"""

import os
import struct
import sys

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding


def kwp(kek_hex, in_path, out_path):
    with open(in_path, "rb") as f:
        material = f.read()
    with open(out_path, "wb") as f:
        f.write(aes_key_wrap_with_padding(bytes.fromhex(kek_hex), material))


def header(account, key_id, material_id, nonce):
    def short(data):
        return bytes([len(data)]) + data

    return (
        b"\x01"
        + short(account.encode())
        + short(key_id.encode())
        + bytes.fromhex(material_id)
        + nonce
    )


# The canonical encoding of an empty encryption context: a pair count of zero.
EMPTY_CONTEXT = struct.pack(">I", 0)


def seal(key_hex, account, key_id, material_id, plaintext_hex):
    nonce = os.urandom(12)
    head = header(account, key_id, material_id, nonce)
    sealed = AESGCM(bytes.fromhex(key_hex)).encrypt(
        nonce, bytes.fromhex(plaintext_hex), head + EMPTY_CONTEXT
    )
    print((head + sealed).hex())


def open_blob(key_hex, blob_hex):
    blob = bytes.fromhex(blob_hex)
    pos = 1
    pos += 1 + blob[pos]
    pos += 1 + blob[pos]
    pos += 32
    nonce = blob[pos : pos + 12]
    pos += 12
    plaintext = AESGCM(bytes.fromhex(key_hex)).decrypt(
        nonce, blob[pos:], blob[:pos] + EMPTY_CONTEXT
    )
    print(plaintext.hex())


def mac(hash_name, key_hex, message_hex):
    algorithm = {
        "sha224": hashes.SHA224(),
        "sha256": hashes.SHA256(),
        "sha384": hashes.SHA384(),
        "sha512": hashes.SHA512(),
    }[hash_name]
    h = hmac.HMAC(bytes.fromhex(key_hex), algorithm)
    h.update(bytes.fromhex(message_hex))
    print(h.finalize().hex())


COMMANDS = {"kwp": kwp, "seal": seal, "open": open_blob, "hmac": mac}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
