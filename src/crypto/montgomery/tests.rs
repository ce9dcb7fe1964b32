//! Every function checked against crypto-bigint (the `rsa` crate's arithmetic) on random inputs
//! and edge cases, for several sizes and shapes of modulus, plus known answers for the byte
//! conversions.

use crypto_bigint::ConcatenatingMul;
use rsa::BoxedUint;

use super::*;
use crate::crypto::random_bytes;

/// A BoxedUint with the same limbs (crypto-bigint's `Word` is `u64` on 64-bit targets).
pub(super) fn big(limbs: &[u64]) -> BoxedUint {
    BoxedUint::from_words(limbs.iter().copied())
}

/// The limbs of `x`, which must fit in `N`.
pub(super) fn limbs<const N: usize>(x: &BoxedUint) -> [u64; N] {
    let words = x.to_words();
    let mut out = [0u64; N];
    for (i, &w) in words.iter().enumerate() {
        if i < N {
            out[i] = w;
        } else {
            assert_eq!(w, 0, "does not fit in {N} limbs");
        }
    }
    out
}

pub(super) fn nonzero(m: &BoxedUint) -> crypto_bigint::NonZero<BoxedUint> {
    crypto_bigint::NonZero::new(m.clone()).unwrap()
}

/// `x mod m` by crypto-bigint's division.
pub(super) fn rem<const N: usize>(x: &BoxedUint, m: &[u64; N]) -> [u64; N] {
    limbs(&x.rem(&nonzero(&big(m))))
}

/// 2^bits as a BoxedUint.
pub(super) fn pow2(bits: u32) -> BoxedUint {
    BoxedUint::one_with_precision(bits + 64).shl(bits)
}

pub(super) fn random_limbs<const N: usize>() -> [u64; N] {
    let bytes = random_bytes(8 * N);
    from_be_bytes(&bytes).unwrap()
}

/// A random number below `m` (by reduction: slightly biased, which does not matter here).
fn random_below<const N: usize>(m: &[u64; N]) -> [u64; N] {
    rem(&big(&random_limbs::<N>()), m)
}

fn one<const N: usize>() -> [u64; N] {
    let mut x = [0u64; N];
    x[0] = 1;
    x
}

fn minus_one<const N: usize>(m: &[u64; N]) -> [u64; N] {
    sub(m, &one()).0
}

/// Moduli of many shapes: full-width random ones (as RSA moduli and primes are), one with
/// the top limb nearly empty, all ones (R − 1), R − 2^63 + 1... and 3.
pub(super) fn moduli<const N: usize>() -> Vec<[u64; N]> {
    let mut out = Vec::new();
    for _ in 0..4 {
        let mut m = random_limbs::<N>();
        m[0] |= 1;
        m[N - 1] |= 1 << 63;
        out.push(m);
    }
    let mut short = random_limbs::<N>();
    short[N - 1] = (short[N - 1] >> 60) | 2;
    short[0] |= 1;
    out.push(short);
    out.push([u64::MAX; N]);
    let mut near = [u64::MAX; N];
    near[0] = (1 << 63) + 1;
    out.push(near);
    let mut three = [0u64; N];
    three[0] = 3;
    out.push(three);
    if N > 1 {
        // Only the low limb and the top bit.
        let mut sparse = [0u64; N];
        sparse[0] = 1;
        sparse[N - 1] = 1 << 63;
        out.push(sparse);
    }
    out
}

/// Values below `m` worth trying: 0, 1, 2, m − 1, m − 2 and random ones.
pub(super) fn reduced_values<const N: usize>(m: &[u64; N]) -> Vec<[u64; N]> {
    let mut out = vec![[0u64; N], one(), minus_one(m)];
    let two = add(&one(), &one()).0;
    if ct_lt(&two, m) {
        out.push(two);
        out.push(sub(m, &two).0);
    }
    for _ in 0..6 {
        out.push(random_below(m));
    }
    out
}

/// Any N-limb values, also ≥ m: the reduced ones, m, m + 1 (when it fits), R − 1, random.
fn any_values<const N: usize>(m: &[u64; N]) -> Vec<[u64; N]> {
    let mut out = reduced_values(m);
    out.push(*m);
    let (m_plus_one, carry) = add(m, &one());
    if carry == 0 {
        out.push(m_plus_one);
    }
    out.push([u64::MAX; N]);
    for _ in 0..4 {
        out.push(random_limbs());
    }
    out
}

/// All the checks of one modulus of N limbs (W = 2N).
fn check_modulus<const N: usize, const W: usize>(m: [u64; N]) {
    let modulus = Modulus::new(m).unwrap();
    let r_bits = 64 * N as u32;
    let bm = big(&m);
    assert_eq!(modulus.modulus(), &m);

    // The constants.
    assert_eq!(
        m[0].wrapping_mul(modulus.m_inv),
        u64::MAX,
        "m·m' = −1 mod 2^64"
    );
    assert_eq!(modulus.r1, rem(&pow2(r_bits), &m), "R mod m");
    assert_eq!(modulus.r2, rem(&pow2(2 * r_bits), &m), "R² mod m");
    assert_eq!(modulus.r3, rem(&pow2(3 * r_bits), &m), "R³ mod m");
    assert_eq!(modulus.one(), &modulus.r1);

    // mont(a, b)·R ≡ a·b (mod m), fully reduced, for a any N-limb value and b < m (both ways
    // round).
    for a in any_values(&m) {
        for b in reduced_values(&m) {
            let expected = rem(&big(&a).concatenating_mul(&big(&b)), &m);
            // Both implementations, whichever `mul` picks for this size.
            let products = [
                modulus.mul(&a, &b),
                modulus.mul(&b, &a),
                modulus.mul_cios(&a, &b),
                modulus.mul_cios(&b, &a),
                modulus.mul_fips(&a, &b),
                modulus.mul_fips(&b, &a),
            ];
            for product in products {
                assert!(ct_lt(&product, &m), "reduced");
                assert_eq!(
                    rem(&big(&product).concatenating_mul(&pow2(r_bits)), &m),
                    expected
                );
            }
        }
        // Conversions: to_montgomery(x) = x·R mod m, from_montgomery(x) = x·R⁻¹ mod m.
        let xr = modulus.to_montgomery(&a);
        assert_eq!(xr, rem(&big(&a).concatenating_mul(&pow2(r_bits)), &m));
        let back = modulus.from_montgomery(&xr);
        assert_eq!(back, rem(&big(&a), &m), "round trip reduces");
        let plain = modulus.from_montgomery(&a);
        assert!(ct_lt(&plain, &m));
        assert_eq!(
            rem(&big(&plain).concatenating_mul(&pow2(r_bits)), &m),
            rem(&big(&a), &m)
        );
    }
    for a in reduced_values(&m) {
        let square = modulus.mul(&a, &a);
        assert_eq!(modulus.square(&a), square, "square is mul(a, a)");
        assert_eq!(modulus.square_sos(&a), square, "square_sos is mul(a, a)");
        assert_eq!(modulus.mul_cios(&a, &a), square);
        // And the double-width reduction alone, of a·b for b < m.
        let b = random_below(&m);
        let wide: [u64; W] = mul_wide(&a, &b);
        let (mut lo, mut hi) = ([0u64; N], [0u64; N]);
        lo.copy_from_slice(&wide[..N]);
        hi.copy_from_slice(&wide[N..]);
        assert_eq!(modulus.redc(&lo, &hi), modulus.mul(&a, &b));
        // Modular addition and subtraction of reduced values.
        for b in reduced_values(&m) {
            assert_eq!(
                modulus.add(&a, &b),
                limbs(&big(&a).add_mod(&big(&b), &nonzero(&bm)))
            );
            assert_eq!(
                modulus.sub(&a, &b),
                limbs(&big(&a).sub_mod(&big(&b), &nonzero(&bm)))
            );
        }
    }

    // Double-width reduction, up to R² − 1.
    let mut wide_values: Vec<[u64; W]> = vec![[0; W], [u64::MAX; W], widen(&m), widen(&one::<N>())];
    for _ in 0..8 {
        wide_values.push(random_limbs());
    }
    for x in wide_values {
        let expected = rem(&big(&x), &m);
        assert_eq!(modulus.reduce_wide(&x), expected);
        assert_eq!(
            modulus.to_montgomery_wide(&x),
            modulus.to_montgomery(&expected)
        );
    }

    // Exponentiation, secret (fixed window) and public: short exponents with every base,
    // full-width ones (as RSA's private exponents are) with a few.
    let odd = crypto_bigint::Odd::new(bm).unwrap();
    let short: Vec<Vec<u64>> = vec![
        vec![],
        vec![0],
        vec![1],
        vec![2],
        vec![0x8000_0000_0000_0001],
        vec![0x1000_0000_0000_0010, 0, 0x0f],
        vec![65537],
    ];
    let full: Vec<Vec<u64>> = vec![
        vec![0; N],
        vec![u64::MAX; N],
        random_limbs::<N>().to_vec(),
        random_limbs::<N>().to_vec(),
    ];
    let bases = reduced_values(&m);
    let cases = bases
        .iter()
        .flat_map(|base| short.iter().map(move |exp| (base, exp)))
        .chain(
            bases[2..5]
                .iter()
                .flat_map(|base| full.iter().map(move |exp| (base, exp))),
        );
    for (base, exp) in cases {
        let expected: [u64; N] = if exp.is_empty() {
            rem(&BoxedUint::one(), &m)
        } else {
            limbs(&big(base).pow_mod(&big(exp), &odd))
        };
        let base_r = modulus.to_montgomery(base);
        let secret = modulus.from_montgomery(&modulus.pow(&base_r, exp));
        assert_eq!(secret, expected, "pow {exp:x?}");
        assert_eq!(
            modulus.pow_vartime(base, exp),
            expected,
            "pow_vartime {exp:x?}"
        );
        let public = modulus.from_montgomery(&modulus.pow_mont_vartime(&base_r, exp));
        assert_eq!(public, expected, "pow_mont_vartime {exp:x?}");
    }
    // The public exponentiation accepts unreduced bases.
    for base in any_values(&m) {
        let reduced: [u64; N] = rem(&big(&base), &m);
        let expected: [u64; N] = limbs(&big(&reduced).pow_mod(&BoxedUint::from(65537u64), &odd));
        assert_eq!(modulus.pow_vartime(&base, &[65537]), expected);
    }
}

#[test]
fn montgomery_arithmetic_matches_crypto_bigint_one_limb() {
    for m in moduli::<1>() {
        check_modulus::<1, 2>(m);
    }
}

#[test]
fn montgomery_arithmetic_matches_crypto_bigint_small() {
    for m in moduli::<2>() {
        check_modulus::<2, 4>(m);
    }
    for m in moduli::<3>() {
        check_modulus::<3, 6>(m);
    }
    for m in moduli::<4>() {
        check_modulus::<4, 8>(m);
    }
}

#[test]
fn montgomery_arithmetic_matches_crypto_bigint_1024_bits() {
    // A random full-width modulus, a short one, R − 1 and a sparse one (debug builds are slow).
    for (i, m) in moduli::<16>().into_iter().enumerate() {
        if [0, 4, 5, 8].contains(&i) {
            check_modulus::<16, 32>(m);
        }
    }
}

#[test]
fn montgomery_arithmetic_matches_crypto_bigint_2048_bits() {
    for m in moduli::<32>().into_iter().take(2) {
        check_modulus::<32, 64>(m);
    }
}

#[test]
fn tiny_moduli_exhaustively() {
    // Every odd modulus below 100 with every base and a range of exponents, one limb.
    for m in (3u64..100).step_by(2) {
        let modulus = Modulus::new([m]).unwrap();
        for a in 0..m {
            for b in 0..m {
                let product = modulus.from_montgomery(
                    &modulus.mul(&modulus.to_montgomery(&[a]), &modulus.to_montgomery(&[b])),
                );
                assert_eq!(product, [a * b % m]);
            }
            let base = modulus.to_montgomery(&[a]);
            let mut expected = 1 % m;
            for e in 0..40u64 {
                assert_eq!(
                    modulus.from_montgomery(&modulus.pow(&base, &[e])),
                    [expected]
                );
                assert_eq!(modulus.pow_vartime(&[a], &[e]), [expected]);
                expected = expected * a % m;
            }
        }
    }
}

#[test]
fn even_moduli_and_one_have_no_montgomery_form() {
    assert!(Modulus::new([0u64; 4]).is_none());
    assert!(Modulus::new([1u64, 0, 0, 0]).is_none());
    assert!(Modulus::new([4u64, 0, 0, 1]).is_none());
    assert!(Modulus::new([u64::MAX - 1; 2]).is_none());
    assert!(Modulus::new([3u64, 0]).is_some());
}

#[test]
fn integer_helpers_match_crypto_bigint() {
    for _ in 0..50 {
        let a = random_limbs::<8>();
        let b = random_limbs::<8>();
        let (sum, carry) = add(&a, &b);
        let (wide_a, wide_b) = (widen::<8, 9>(&a), widen::<8, 9>(&b));
        let full: [u64; 9] = limbs(&big(&wide_a).wrapping_add(big(&wide_b)));
        assert_eq!(sum[..], full[..8]);
        assert_eq!(carry, full[8]);
        let (diff, borrow) = sub(&a, &b);
        assert_eq!(diff, limbs(&big(&a).wrapping_sub(big(&b))));
        assert_eq!(borrow == 1, big(&a) < big(&b));
        assert_eq!(ct_lt(&a, &b), big(&a) < big(&b));
        assert!(ct_eq(&a, &a));
        let mut c = a;
        c[7] ^= 1 << 40;
        assert!(!ct_eq(&a, &c));
        let product: [u64; 16] = mul_wide(&a, &b);
        assert_eq!(product, limbs(&big(&a).concatenating_mul(&big(&b))));
    }
    let max = [u64::MAX; 4];
    let product: [u64; 8] = mul_wide(&max, &max);
    assert_eq!(product, limbs(&big(&max).concatenating_mul(&big(&max))));
    assert_eq!(add(&max, &one()), ([0; 4], 1));
    assert_eq!(sub(&[0; 4], &one()), (max, 1));
    assert!(!ct_lt(&max, &max));
}

#[test]
fn select_entry_reads_the_indexed_entry() {
    let mut table = [[0u64; 3]; TABLE];
    for (i, entry) in table.iter_mut().enumerate() {
        *entry = [i as u64, !(i as u64), u64::MAX - i as u64];
    }
    for i in 0..TABLE {
        assert_eq!(select_entry(&table, i as u64), table[i]);
    }
    assert_eq!(mask(1), u64::MAX);
    assert_eq!(mask(0), 0);
    assert_eq!(is_zero(0), 1);
    assert_eq!(is_zero(1), 0);
    assert_eq!(is_zero(u64::MAX), 0);
    assert_eq!(is_zero(1 << 63), 0);
}

#[test]
fn big_endian_bytes_known_answers() {
    let bytes: Vec<u8> = (1..=9).collect();
    assert_eq!(
        from_be_bytes::<2>(&bytes),
        Some([0x0203_0405_0607_0809, 0x01])
    );
    let mut out = [0u8; 9];
    to_be_bytes(&[0x0203_0405_0607_0809u64, 0x01], &mut out);
    assert_eq!(out.to_vec(), bytes);
    // Longer than the limbs: only with leading zeros.
    assert_eq!(
        from_be_bytes::<1>(&[0, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
        Some([0x0102_0304_0506_0708])
    );
    assert_eq!(from_be_bytes::<1>(&[1, 1, 2, 3, 4, 5, 6, 7, 8]), None);
    assert_eq!(from_be_bytes::<2>(&[]), Some([0, 0]));
    // A longer output gets leading zeros; a shorter one the low bytes.
    let mut long = [0xffu8; 12];
    to_be_bytes(&[0x0102_0304_0506_0708u64], &mut long);
    assert_eq!(long, [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    let mut short = [0u8; 3];
    to_be_bytes(&[0x0102_0304_0506_0708u64], &mut short);
    assert_eq!(short, [6, 7, 8]);
    // The same as crypto-bigint for random 2048-bit numbers.
    for _ in 0..20 {
        let bytes = random_bytes(256);
        let x = from_be_bytes::<32>(&bytes).unwrap();
        let reference = BoxedUint::from_be_slice(&bytes, 2048).unwrap();
        assert_eq!(x, limbs(&reference));
        let mut out = vec![0u8; 256];
        to_be_bytes(&x, &mut out);
        assert_eq!(out, reference.to_be_bytes().to_vec());
    }
}
