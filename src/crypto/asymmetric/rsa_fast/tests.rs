//! The fast RSA-OAEP path against the `rsa` crate (both directions, SHA-1 and SHA-256, every
//! size it handles), against ciphertexts made by Python's `cryptography`, and its rejection of
//! invalid ciphertexts. Debug builds run the arithmetic unoptimised, so the counts are modest.

use rsa::Oaep;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use sha2::Sha256;

use super::*;
use crate::crypto::{random_bytes, rng};

/// Keys and ciphertexts made by Python's `cryptography` 48 (OpenSSL 3) with
/// `key.public_key().encrypt(m, OAEP(MGF1(h), h, None))` for RSA 2048, 3072 and 4096 bits,
/// SHA-1 and SHA-256, an empty and a maximum-length message: fresh keys, exponent 65537,
/// PKCS#8 DER in hex.
const KNOWN_ANSWERS: &str = include_str!("oaep_known_answers.json");

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn generate(bits: usize) -> RsaPrivateKey {
    RsaPrivateKey::new(&mut rng(), bits).unwrap()
}

/// Round trips both ways with the `rsa` crate for one hash: message lengths 0, 1, 32 and the
/// maximum; one byte more is refused by both.
fn interoperates<D>(key: &RsaPrivateKey, fast: &FastRsa)
where
    D: Digest + sha2::digest::FixedOutputReset,
{
    let k = key.size();
    let max = k - 2 * <D as Digest>::output_size() - 2;
    let public = key.to_public_key();
    for len in [0, 1, 32, max] {
        let message = random_bytes(len);
        let ciphertext = fast.encrypt::<D>(&message).unwrap();
        assert_eq!(ciphertext.len(), k);
        assert_eq!(
            key.decrypt(Oaep::<D>::new(), &ciphertext).unwrap(),
            message,
            "fast encryption, rsa crate decryption, {len} bytes"
        );
        let ciphertext = public
            .encrypt(&mut rng(), Oaep::<D>::new(), &message)
            .unwrap();
        assert_eq!(
            fast.decrypt::<D>(&ciphertext).unwrap(),
            message,
            "rsa crate encryption, fast decryption, {len} bytes"
        );
    }
    let too_long = random_bytes(max + 1);
    assert!(fast.encrypt::<D>(&too_long).is_none());
    assert!(
        public
            .encrypt(&mut rng(), Oaep::<D>::new(), &too_long)
            .is_err()
    );
    // OAEP is randomised.
    let message = b"same message";
    assert_ne!(
        fast.encrypt::<D>(message).unwrap(),
        fast.encrypt::<D>(message).unwrap()
    );
}

/// Ciphertexts that must fail, as they do with the `rsa` crate.
fn rejects_invalid_ciphertexts(key: &RsaPrivateKey, fast: &FastRsa) {
    let k = key.size();
    let ciphertext = fast.encrypt::<Sha256>(b"secret").unwrap();
    // Wrong lengths.
    for len in [0, 1, k - 1, k + 1] {
        let mut wrong = vec![0u8; len];
        let common = len.min(k);
        wrong[len - common..].copy_from_slice(&ciphertext[k - common..]);
        assert!(fast.decrypt::<Sha256>(&wrong).is_none(), "length {len}");
    }
    // The same ciphertext with a leading zero byte more (the value fits, the length does not).
    let mut padded = vec![0u8];
    padded.extend_from_slice(&ciphertext);
    assert!(fast.decrypt::<Sha256>(&padded).is_none());
    // Not below n: n itself, n + 1 and all ones.
    let n = key.n().as_ref().to_be_bytes();
    let n = n[n.len() - k..].to_vec();
    let mut n_plus_one = n.clone();
    // Big-endian increment with carry (the last byte of an odd n may be 0xff).
    for byte in n_plus_one.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            break;
        }
    }
    for too_large in [n, n_plus_one, vec![0xff; k]] {
        assert!(fast.decrypt::<Sha256>(&too_large).is_none());
        assert!(key.decrypt(Oaep::<Sha256>::new(), &too_large).is_err());
    }
    // 0 and 1 are below n but no valid encoding.
    for small in [0u8, 1] {
        let mut c = vec![0u8; k];
        c[k - 1] = small;
        assert!(fast.decrypt::<Sha256>(&c).is_none());
    }
    // A flipped bit anywhere, or the wrong hash.
    for position in [0, 1, k / 2, k - 1] {
        let mut corrupted = ciphertext.clone();
        corrupted[position] ^= 0x10;
        assert!(
            fast.decrypt::<Sha256>(&corrupted).is_none(),
            "byte {position}"
        );
        assert!(key.decrypt(Oaep::<Sha256>::new(), &corrupted).is_err());
    }
    assert!(fast.decrypt::<sha1::Sha1>(&ciphertext).is_none());
    assert_eq!(fast.decrypt::<Sha256>(&ciphertext).unwrap(), b"secret");
}

fn check_size(bits: usize) {
    let key = generate(bits);
    let fast = FastRsa::new(&key).unwrap();
    let expected = matches!(
        (&fast, bits),
        (FastRsa::Rsa2048(_), 2048) | (FastRsa::Rsa3072(_), 3072) | (FastRsa::Rsa4096(_), 4096)
    );
    assert!(expected, "{bits} bits");
    interoperates::<sha1::Sha1>(&key, &fast);
    interoperates::<Sha256>(&key, &fast);
    rejects_invalid_ciphertexts(&key, &fast);
}

#[test]
fn rsa_2048_interoperates_with_the_rsa_crate() {
    check_size(2048);
}

#[test]
fn rsa_3072_interoperates_with_the_rsa_crate() {
    check_size(3072);
}

#[test]
fn rsa_4096_interoperates_with_the_rsa_crate() {
    check_size(4096);
}

#[test]
fn decrypts_what_python_cryptography_encrypted() {
    use pkcs8::DecodePrivateKey;
    let cases: serde_json::Value = serde_json::from_str(KNOWN_ANSWERS).unwrap();
    for case in cases.as_array().unwrap() {
        let bits = case["bits"].as_u64().unwrap();
        let key = RsaPrivateKey::from_pkcs8_der(&hex(case["pkcs8"].as_str().unwrap())).unwrap();
        let fast = FastRsa::new(&key).unwrap();
        for vector in case["ciphertexts"].as_array().unwrap() {
            let plaintext = hex(vector["plaintext"].as_str().unwrap());
            let ciphertext = hex(vector["ciphertext"].as_str().unwrap());
            let decrypted = match vector["hash"].as_str().unwrap() {
                "SHA_1" => fast.decrypt::<sha1::Sha1>(&ciphertext),
                "SHA_256" => fast.decrypt::<Sha256>(&ciphertext),
                other => panic!("{other}"),
            };
            assert_eq!(decrypted.unwrap(), plaintext, "{bits} bits, {vector}");
        }
    }
}

/// The raw operations against crypto-bigint's exponentiation modulo n, with the values where
/// CRT could go wrong: 0, 1, n − 1, the primes themselves and their multiples (c ≡ 0 mod p or
/// mod q), and random ones.
#[test]
fn raw_rsa_matches_crypto_bigint() {
    let key = generate(2048);
    let Some(FastRsa::Rsa2048(crt)) = FastRsa::new(&key) else {
        panic!("no fast context");
    };
    let n: [u64; 32] = limbs(key.n().as_ref()).unwrap();
    let p: [u64; 16] = limbs(&key.primes()[0]).unwrap();
    let q: [u64; 16] = limbs(&key.primes()[1]).unwrap();
    let odd_n = crypto_bigint::Odd::new(key.n().as_ref().clone()).unwrap();
    let big = |x: &[u64; 32]| BoxedUint::from_words(x.iter().copied());
    let mut one = [0u64; 32];
    one[0] = 1;
    let three: [u64; 16] = {
        let mut x = [0u64; 16];
        x[0] = 3;
        x
    };
    let mut values = vec![
        [0u64; 32],
        one,
        montgomery::sub(&n, &one).0,
        montgomery::widen(&p),
        montgomery::widen(&q),
        montgomery::mul_wide(&p, &three),
        montgomery::mul_wide(&q, &three),
    ];
    for _ in 0..4 {
        let x: [u64; 32] = montgomery::from_be_bytes(&random_bytes(255)).unwrap();
        values.push(x);
    }
    for c in values {
        let expected = big(&c).pow_mod(key.d(), &odd_n);
        let m = crt.private(&c);
        assert_eq!(big(&m), expected);
        assert_eq!(crt.public(&m), c);
        assert_eq!(big(&crt.public(&c)), big(&c).pow_mod(key.e(), &odd_n));
        assert_eq!(crt.public_crt(&c), crt.public(&c));
    }
}

#[test]
fn keys_it_does_not_handle_have_no_fast_context() {
    // 1024 bits: the rsa crate's own path.
    let small = generate(1024);
    assert!(FastRsa::new(&small).is_none());
    // Another public exponent is fine, and still interoperates.
    let key = RsaPrivateKey::new_with_exp(&mut rng(), 2048, BoxedUint::from(3u64)).unwrap();
    let fast = FastRsa::new(&key).unwrap();
    interoperates::<Sha256>(&key, &fast);
}

/// EME-OAEP decoding accepts exactly the encodings RFC 8017 allows.
#[test]
fn oaep_decoding_checks_every_condition() {
    const K: usize = 256;
    let h = 32;
    let encode = |message: &[u8]| oaep_encode::<Sha256>(message, K).unwrap().to_vec();
    // Undo the masking of an encoding, change it with `edit`, mask it again.
    let tamper = |em: &[u8], edit: &dyn Fn(&mut [u8], &mut [u8])| {
        let mut em = em.to_vec();
        let (y, rest) = em.split_at_mut(1);
        let (seed, db) = rest.split_at_mut(h);
        mgf1_xor::<Sha256>(seed, db);
        mgf1_xor::<Sha256>(db, seed);
        edit(y, db);
        mgf1_xor::<Sha256>(db, seed);
        mgf1_xor::<Sha256>(seed, db);
        em
    };
    let decode = |em: &[u8]| oaep_decode::<Sha256>(&mut em.to_vec());

    for message in [
        &b""[..],
        b"\x00",
        b"\x01",
        b"\x00\x01m",
        &[7u8; K - 2 * 32 - 2],
    ] {
        let em = encode(message);
        assert_eq!(em.len(), K);
        assert_eq!(em[0], 0);
        assert_eq!(decode(&em).unwrap(), message);
        // Unmasking and masking again changes nothing.
        assert_eq!(decode(&tamper(&em, &|_, _| {})).unwrap(), message);
    }
    let em = encode(b"message");
    // Y ≠ 0 (RFC 8017 7.1.2 3.g; the rsa crate ignores Y, OpenSSL checks it).
    assert!(decode(&tamper(&em, &|y, _| y[0] = 1)).is_none());
    // A different lHash: any bit of it.
    for i in [0, h - 1] {
        assert!(decode(&tamper(&em, &|_, db| db[i] ^= 0x80)).is_none());
    }
    // A non-zero byte in PS, before the 0x01.
    assert!(decode(&tamper(&em, &|_, db| db[h] = 2)).is_none());
    assert!(decode(&tamper(&em, &|_, db| db[h + 5] = 0x80)).is_none());
    // No 0x01 at all: the separator becomes 0x00, or another value.
    let separator = K - 1 - h - b"message".len() - 1;
    assert!(decode(&tamper(&em, &|_, db| db[separator] = 0)).is_none());
    assert!(decode(&tamper(&em, &|_, db| db[separator] = 3)).is_none());
    // A second 0x01 before the first moves the message start: still valid, longer message.
    let longer = decode(&tamper(&em, &|_, db| db[separator - 1] = 1)).unwrap();
    assert_eq!(longer, b"\x01message");
    // Everything zero.
    assert!(decode(&[0u8; K]).is_none());
    // A modulus too small for the hash.
    assert!(oaep_decode::<Sha256>(&mut [0u8; 2 * 32 + 1]).is_none());
    assert!(oaep_encode::<Sha256>(b"", 2 * 32 + 1).is_none());
    assert!(oaep_encode::<Sha256>(b"", 2 * 32 + 2).is_some());
}
