//! RSA-OAEP (RFC 8017, section 7.1) on the fixed-size Montgomery arithmetic of
//! [`crate::crypto::montgomery`], for the key sizes KMS offers: RSA_2048, RSA_3072 and
//! RSA_4096 with two primes. Other keys (other sizes, multi-prime keys) have no [`FastRsa`]
//! and keep the `rsa` crate's code; so do signing, verification, generation and encoding.
//!
//! # Why it is faster
//!
//! The `rsa` crate works on heap-allocated integers of run-time size, sets up Montgomery
//! parameters on every call and blinds every private operation (a random factor, its
//! inverse and exponent blinding). Here the moduli `n`, `p` and `q` with their Montgomery
//! constants, and `dp`, `dq` and `qinv`, are computed once per key and cached (see
//! `RsaKey` in `asymmetric.rs`), and the integers are stack arrays of a size known at compile
//! time.
//!
//! # The public operation by CRT
//!
//! kmsd holds the private key of every key it encrypts under, so encryption computes
//! `m^e mod p` and `m^e mod q` and recombines them like the private operation (see
//! `CrtKey::public_crt`): products modulo a prime of half the size cost a quarter as much.
//! It uses the lazy arithmetic of `montgomery::lazy`, whose squares (nearly all of the work
//! for e = 65537) take a third less time again. The plain `m^e mod n` stays for the check of every private operation, which must
//! not depend on the primes it checks.
//!
//! # The private operation, constant time
//!
//! The private operation `m = c^d mod n` uses the Chinese remainder theorem (RFC 8017,
//! section 5.1.2, 2.b): `m1 = c^dp mod p`, `m2 = c^dq mod q`, `h = qinv·(m1 − m2) mod p`,
//! `m = m2 + h·q`. Every step is constant time in the secret values (the primes, the
//! exponents, `c mod p` and `c mod q`, the intermediate results): fixed-window exponentiation
//! with masked table look-ups, masked final subtractions, no branch or memory index on secret
//! data (see the module documentation of `montgomery`). There is no blinding: with code
//! that does not leak timing, blinding would only add cost.
//!
//! The result is checked by re-encryption, `m^e mod n == c` (cheap for e = 65537), so that a
//! fault in the CRT computation (a bit flip, a bug) can never release a value that reveals
//! the primes (the Bellcore attack); the `rsa` crate checks the same way.
//!
//! # OAEP decoding, constant time
//!
//! Decoding checks all three conditions of RFC 8017, 7.1.2, step 3.g (the first byte `Y` is
//! zero, `lHash'` equals the hash of the empty label, a 0x01 byte follows the zero padding)
//! over every byte, accumulating failures with bitwise operations, and decides once at the
//! end: the time taken and the error do not tell which check failed, or where (Manger's
//! attack needs exactly that).

use sha2::Digest;
use zeroize::{Zeroize, Zeroizing};

use rsa::BoxedUint;
use rsa::PrivateKey as RsaPrivateKey;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};

use crate::crypto::fill_random;
use crate::crypto::montgomery::lazy::{self, LazyModulus};
use crate::crypto::montgomery::{self, Modulus};

/// The precomputed context of one RSA key, by size: `N` limbs for the modulus, `N/2` for
/// each prime.
pub(super) enum FastRsa {
    /// RSA_2048.
    Rsa2048(Box<CrtKey<32, 16, 17, 34>>),
    /// RSA_3072.
    Rsa3072(Box<CrtKey<48, 24, 26, 52>>),
    /// RSA_4096.
    Rsa4096(Box<CrtKey<64, 32, 35, 70>>),
}

/// Runs the same code for each size, with `$key` bound to its `CrtKey`.
macro_rules! on_size {
    ($self:expr, $key:ident => $body:expr) => {
        match $self {
            FastRsa::Rsa2048($key) => $body,
            FastRsa::Rsa3072($key) => $body,
            FastRsa::Rsa4096($key) => $body,
        }
    };
}

impl FastRsa {
    /// The context for `key`, `None` for keys this module does not handle: a modulus other
    /// than 2048, 3072 or 4096 bits of storage, more than two primes, a prime wider than half
    /// the modulus's storage, no precomputed CRT values, or a public exponent outside what
    /// the `rsa` crate accepts for encryption (2 to 2^33 − 1, odd, below n).
    pub(super) fn new(key: &RsaPrivateKey) -> Option<FastRsa> {
        Some(match key.n_bits_precision() {
            2048 => FastRsa::Rsa2048(Box::new(CrtKey::new(key)?)),
            3072 => FastRsa::Rsa3072(Box::new(CrtKey::new(key)?)),
            4096 => FastRsa::Rsa4096(Box::new(CrtKey::new(key)?)),
            _ => return None,
        })
    }

    /// RSAES-OAEP-ENCRYPT with hash `D` for the label (empty) and MGF1: `None` when the
    /// message is longer than `k − 2·hLen − 2` bytes.
    pub(super) fn encrypt<D: Digest>(&self, message: &[u8]) -> Option<Vec<u8>> {
        on_size!(self, key => key.encrypt::<D>(message))
    }

    /// RSAES-OAEP-DECRYPT with hash `D`: `None` for any invalid ciphertext (wrong length,
    /// not below n, failed re-encryption check, bad padding), without telling which.
    pub(super) fn decrypt<D: Digest>(&self, ciphertext: &[u8]) -> Option<Vec<u8>> {
        on_size!(self, key => key.decrypt::<D>(ciphertext))
    }
}

/// A two-prime RSA key with `N`-limb modulus and `H = N/2`-limb primes, ready for the
/// public and the CRT private operation; `L` lazy limbs hold a prime for the CRT public
/// operation (`W = 2L`).
pub(super) struct CrtKey<const N: usize, const H: usize, const L: usize, const W: usize> {
    /// k, the length of the modulus in bytes (ciphertexts have this length).
    k: usize,
    /// n.
    n: Modulus<N>,
    /// e (public).
    e: u64,
    /// p, the first prime.
    p: Modulus<H>,
    /// q, the second prime.
    q: Modulus<H>,
    /// d mod (p − 1).
    dp: [u64; H],
    /// d mod (q − 1).
    dq: [u64; H],
    /// q⁻¹ mod p.
    qinv: [u64; H],
    /// p for the lazy arithmetic.
    p_lazy: LazyModulus<L, W>,
    /// q for the lazy arithmetic.
    q_lazy: LazyModulus<L, W>,
    /// q⁻¹ mod p in lazy limbs.
    qinv_lazy: [u64; L],
}

/// `x` as `L` limbs, `None` if it does not fit. The big-endian copy is wiped after use.
fn limbs<const L: usize>(x: &BoxedUint) -> Option<[u64; L]> {
    let bytes = Zeroizing::new(x.to_be_bytes());
    montgomery::from_be_bytes(&bytes)
}

impl<const N: usize, const H: usize, const L: usize, const W: usize> CrtKey<N, H, L, W> {
    fn new(key: &RsaPrivateKey) -> Option<CrtKey<N, H, L, W>> {
        const { assert!(N == 2 * H, "the primes have half the limbs of the modulus") };
        let n: [u64; N] = limbs(key.n().as_ref())?;
        let e: [u64; 1] = limbs(key.e())?;
        let e = e[0];
        // The bounds the `rsa` crate checks before encrypting (`check_public`): where they
        // fail, it should keep failing the same way, so such keys take its path.
        let mut e_wide = [0u64; N];
        e_wide[0] = e;
        if !(2..1 << 33).contains(&e) || e & 1 == 0 || !montgomery::ct_lt(&e_wide, &n) {
            return None;
        }
        let [p, q] = key.primes() else {
            return None;
        };
        let mut p: [u64; H] = limbs(p)?;
        let mut q: [u64; H] = limbs(q)?;
        let ok = montgomery::ct_eq(&montgomery::mul_wide::<H, N>(&p, &q), &n);
        let moduli = (Modulus::new(n), Modulus::new(p), Modulus::new(q));
        let lazy_moduli = (LazyModulus::new(&p), LazyModulus::new(&q));
        p.zeroize();
        q.zeroize();
        let (Some(n), Some(p), Some(q)) = moduli else {
            return None;
        };
        let (Some(p_lazy), Some(q_lazy)) = lazy_moduli else {
            return None;
        };
        let qinv: [u64; H] = limbs(&key.qinv()?.retrieve())?;
        let key = CrtKey {
            k: key.size(),
            n,
            e,
            p,
            q,
            dp: limbs(key.dp()?)?,
            dq: limbs(key.dq()?)?,
            qinv,
            p_lazy,
            q_lazy,
            qinv_lazy: lazy::split(&qinv, LazyModulus::<L, W>::BITS),
        };
        // The primes must multiply to n; a wrong dp, dq or qinv would be caught by the check
        // of every decryption, and is caught here already by one test decryption. A wrong
        // qinv would also break the CRT public operation, which has no such check: one test
        // encryption against the plain one.
        let probe = {
            let mut x = [0u64; N];
            x[0] = 0x5eed;
            x
        };
        let decrypts = montgomery::ct_eq(&key.public(&key.private(&probe)), &probe);
        let encrypts = montgomery::ct_eq(&key.public_crt(&probe), &key.public(&probe));
        (ok && decrypts && encrypts).then_some(key)
    }

    /// RSAEP: `m^e mod n` for `m < n`, not secret (the message is padded; the padded
    /// message's secrecy rests on the exponentiation being constant time in the base,
    /// which it is). Computed modulo n itself, independently of the primes: this is the
    /// check of every private operation.
    fn public(&self, m: &[u64; N]) -> [u64; N] {
        self.n.pow_vartime(m, &[self.e])
    }

    /// RSAEP by the Chinese remainder theorem: the same `m^e mod n` as
    /// [`CrtKey::public`] for `m < n`, from `m^e mod p` and `m^e mod q` in the lazy
    /// arithmetic of [`montgomery::lazy`]. Products modulo the half-sized primes cost about
    /// a quarter as much, so this takes well under half the time. Constant time in `m` and
    /// in the primes; variable only in the public `e`.
    ///
    /// Fault attacks on CRT (Bellcore) need a faulty result together with its correct
    /// counterpart or its input. Neither leaves the server: the input is the OAEP encoding
    /// of the message with a fresh random seed, and no other ciphertext of the same encoding
    /// is ever made.
    fn public_crt(&self, m: &[u64; N]) -> [u64; N] {
        let (p, q) = (&self.p_lazy, &self.q_lazy);
        let e = [self.e];
        // m1 = m^e mod p in Montgomery form (below 2p), m2 = m^e mod q (plain, below q).
        let m1 = p.pow_mont_vartime(&p.to_montgomery_wide(m), &e);
        let m2 = q.from_montgomery(&q.pow_mont_vartime(&q.to_montgomery_wide(m), &e));
        // h = qinv·(m1 − m2) mod p, as in `private`: m2 < q enters p's Montgomery form, the
        // difference stays in it, and the product with the plain qinv leaves it.
        let diff = p.sub(&m1, &p.to_montgomery(&m2));
        let h = p.reduce(&p.mul(&diff, &self.qinv_lazy));
        let bits = LazyModulus::<L, W>::BITS;
        let h: [u64; H] = lazy::join(&h, bits);
        let m2: [u64; H] = lazy::join(&m2, bits);
        // m = m2 + h·q < n.
        let hq: [u64; N] = montgomery::mul_wide(&h, self.q.modulus());
        montgomery::add(&hq, &montgomery::widen(&m2)).0
    }

    /// RSADP by the Chinese remainder theorem: `c^d mod n` for `c < n`. Constant time.
    fn private(&self, c: &[u64; N]) -> [u64; N] {
        // c mod p and c mod q straight into Montgomery form: c = hi·R_p + lo with two H-limb
        // halves, mont(hi, R³) + mont(lo, R²) = c·R (mod p).
        let cp = self.p.to_montgomery_wide(c);
        let cq = self.q.to_montgomery_wide(c);
        // m1 = c^dp mod p (kept in Montgomery form), m2 = c^dq mod q (plain, < q).
        let m1 = self.p.pow(&cp, &self.dp);
        let m2 = self.q.from_montgomery(&self.q.pow(&cq, &self.dq));
        // h = qinv·(m1 − m2) mod p. m2 < q < 2^(64H) enters p's Montgomery form directly,
        // also when q > p; the difference is in Montgomery form, and one Montgomery product
        // with the plain qinv gives a plain result: (m1 − m2)·R · qinv · R⁻¹.
        let diff = self.p.sub(&m1, &self.p.to_montgomery(&m2));
        let h = self.p.mul(&diff, &self.qinv);
        // m = m2 + h·q: at most (q − 1) + (p − 1)·q = n − p < n, so no carry out of N limbs.
        let hq: [u64; N] = montgomery::mul_wide(&h, self.q.modulus());
        montgomery::add(&hq, &montgomery::widen(&m2)).0
    }

    fn encrypt<D: Digest>(&self, message: &[u8]) -> Option<Vec<u8>> {
        let em = oaep_encode::<D>(message, self.k)?;
        // EM starts with a zero byte, so as a number it is below 2^(8(k−1)) ≤ 2^(bits−1) ≤ n.
        let m: [u64; N] = montgomery::from_be_bytes(&em)?;
        let mut ciphertext = vec![0u8; self.k];
        montgomery::to_be_bytes(&self.public_crt(&m), &mut ciphertext);
        Some(ciphertext)
    }

    fn decrypt<D: Digest>(&self, ciphertext: &[u8]) -> Option<Vec<u8>> {
        // The ciphertext and n are public: these checks may branch.
        if ciphertext.len() != self.k {
            return None;
        }
        let c: [u64; N] = montgomery::from_be_bytes(ciphertext)?;
        if !montgomery::ct_lt(&c, self.n.modulus()) {
            return None;
        }
        let mut m = self.private(&c);
        // The fault check: only a correct m re-encrypts to c. Whether it does is public (a
        // correct computation always passes).
        let faulty = !montgomery::ct_eq(&self.public(&m), &c);
        let mut em = Zeroizing::new(vec![0u8; self.k]);
        montgomery::to_be_bytes(&m, &mut em);
        m.zeroize();
        if faulty {
            return None;
        }
        oaep_decode::<D>(&mut em)
    }
}

impl<const N: usize, const H: usize, const L: usize, const W: usize> Drop for CrtKey<N, H, L, W> {
    fn drop(&mut self) {
        self.p.zeroize();
        self.q.zeroize();
        self.dp.zeroize();
        self.dq.zeroize();
        self.qinv.zeroize();
        self.p_lazy.zeroize();
        self.q_lazy.zeroize();
        self.qinv_lazy.zeroize();
    }
}

/// MGF1 (RFC 8017, B.2.1) with hash `D`: XORs `out` with
/// `D(seed ‖ 0) ‖ D(seed ‖ 1) ‖ ...` (32-bit big-endian counters).
fn mgf1_xor<D: Digest>(out: &mut [u8], seed: &[u8]) {
    for (counter, chunk) in out.chunks_mut(<D as Digest>::output_size()).enumerate() {
        let mut hasher = D::new();
        hasher.update(seed);
        hasher.update((counter as u32).to_be_bytes());
        let mask = hasher.finalize();
        for (byte, m) in chunk.iter_mut().zip(mask.iter()) {
            *byte ^= m;
        }
    }
}

/// EME-OAEP encoding (RFC 8017, 7.1.1, step 2) of `message` for a `k`-byte modulus with an
/// empty label: `EM = 0x00 ‖ maskedSeed ‖ maskedDB`, `DB = lHash ‖ PS ‖ 0x01 ‖ M`. `None`
/// when `mLen > k − 2·hLen − 2`.
fn oaep_encode<D: Digest>(message: &[u8], k: usize) -> Option<Zeroizing<Vec<u8>>> {
    let h_len = <D as Digest>::output_size();
    if message.len() + 2 * h_len + 2 > k {
        return None;
    }
    let mut em = Zeroizing::new(vec![0u8; k]);
    let (seed, db) = em[1..].split_at_mut(h_len);
    fill_random(seed);
    db[..h_len].copy_from_slice(&D::digest(b""));
    let separator = db.len() - message.len() - 1;
    db[separator] = 0x01;
    db[separator + 1..].copy_from_slice(message);
    mgf1_xor::<D>(db, seed);
    mgf1_xor::<D>(seed, db);
    Some(em)
}

/// 1 if `x == 0`, else 0, without a comparison.
#[inline(always)]
fn is_zero(x: u8) -> usize {
    let x = x as usize;
    ((x | x.wrapping_neg()) >> (usize::BITS - 1)) ^ 1
}

/// EME-OAEP decoding (RFC 8017, 7.1.2, step 3) of the `k`-byte `em`, in place: the message,
/// or `None` if any check fails. Constant time up to the final decision (see the module
/// documentation); the length of a valid message is public, as the output is.
fn oaep_decode<D: Digest>(em: &mut [u8]) -> Option<Vec<u8>> {
    let h_len = <D as Digest>::output_size();
    // k is public.
    if em.len() < 2 * h_len + 2 {
        return None;
    }
    let (y, rest) = em.split_at_mut(1);
    let (seed, db) = rest.split_at_mut(h_len);
    mgf1_xor::<D>(seed, db);
    mgf1_xor::<D>(db, seed);
    // Y must be zero and lHash' must match: OR together every differing bit.
    let mut bad = y[0];
    for (a, b) in db[..h_len].iter().zip(D::digest(b"").iter()) {
        bad |= a ^ b;
    }
    // PS ‖ 0x01 ‖ M: find the first non-zero byte after lHash'; it must be 0x01. Scan every
    // byte, updating masks, with no branch on the contents.
    let mut looking = 1usize; // 1 until the separator has been seen
    let mut index = 0usize; // position of the separator within the rest of DB
    let mut invalid = 0usize; // 1 if a byte other than 0x00 came before the separator
    for (i, &byte) in db[h_len..].iter().enumerate() {
        let is_one = is_zero(byte ^ 0x01);
        let found = looking & is_one;
        index |= i & 0usize.wrapping_sub(found);
        invalid |= looking & (is_one ^ 1) & (is_zero(byte) ^ 1);
        looking &= is_one ^ 1;
    }
    let valid = is_zero(bad) & (invalid ^ 1) & (looking ^ 1);
    if std::hint::black_box(valid) != 1 {
        return None;
    }
    Some(db[h_len + index + 1..].to_vec())
}

#[cfg(test)]
mod tests;
