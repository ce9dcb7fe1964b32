//! The lazy arithmetic checked against crypto-bigint, as the parent module's tests check
//! [`Modulus`](crate::crypto::montgomery::Modulus): every function on values up to the
//! bounds it documents (`4m` in, `2m` out), for several sizes and shapes of modulus.

use crypto_bigint::ConcatenatingMul;

use super::*;
use crate::crypto::montgomery::tests::{
    big, limbs, moduli, pow2, random_limbs, reduced_values, rem,
};
use crate::crypto::montgomery::{add, ct_lt, widen};

/// All the checks for one modulus `m` of `H` 64-bit limbs, held in `L` lazy limbs
/// (`W = 2L`); `S = H + 1` limbs hold the lazy values (below 4m) and `D = 2H` limbs the
/// double-width ones.
fn check<const H: usize, const S: usize, const D: usize, const L: usize, const W: usize>(
    m: [u64; H],
) {
    let modulus = LazyModulus::<L, W>::new(&m).unwrap();
    let bits = LazyModulus::<L, W>::BITS;
    let mask = (1u64 << bits) - 1;
    let r_bits = bits * L as u32;
    let sat = |x: &[u64; L]| -> [u64; S] { join(x, bits) };
    let lazy = |x: &[u64; S]| -> [u64; L] { split(x, bits) };
    let m_s: [u64; S] = widen(&m);
    let two_m = add(&m_s, &m_s).0;
    let four_m = add(&two_m, &two_m).0;
    // x·R mod m, the congruence every Montgomery result is checked by.
    let times_r = |x: &[u64; S]| -> [u64; H] { rem(&big(x).concatenating_mul(&pow2(r_bits)), &m) };
    let modm = |x: &[u64; S]| -> [u64; H] { rem(&big(x), &m) };

    // The representation and the constants.
    assert_eq!(sat(&modulus.m), m_s);
    assert!(modulus.m.iter().all(|&limb| limb <= mask), "normalised");
    assert_eq!(
        modulus.m[0].wrapping_mul(modulus.m_inv) & mask,
        mask,
        "m·m' = −1"
    );
    assert_eq!(
        sat(&modulus.r2),
        widen(&rem(&pow2(2 * r_bits), &m)),
        "R² mod m"
    );
    assert_eq!(
        sat(&modulus.r3),
        widen(&rem(&pow2(3 * r_bits), &m)),
        "R³ mod m"
    );

    // Values below 4m: the reduced ones plus 0, m, 2m and 3m, and 4m − 1.
    let mut values: Vec<[u64; S]> = Vec::new();
    for v in reduced_values(&m) {
        let mut x: [u64; S] = widen(&v);
        for _ in 0..4 {
            values.push(x);
            x = add(&x, &m_s).0;
        }
    }
    let mut one = [0u64; S];
    one[0] = 1;
    values.push(crate::crypto::montgomery::sub(&four_m, &one).0);
    let below_2m: Vec<&[u64; S]> = values.iter().filter(|x| ct_lt(x, &two_m)).collect();

    for a in &values {
        assert_eq!(sat(&lazy(a)), *a, "split and join round trip");
        for b in &values {
            let product = sat(&modulus.mul(&lazy(a), &lazy(b)));
            assert!(ct_lt(&product, &two_m), "mul below 2m");
            assert_eq!(
                times_r(&product),
                rem(&big(a).concatenating_mul(&big(b)), &m),
                "mul(a, b)·R = a·b"
            );
        }
        assert_eq!(
            modulus.square(&lazy(a)),
            modulus.mul(&lazy(a), &lazy(a)),
            "square is mul(a, a)"
        );
        let plain = sat(&modulus.from_montgomery(&lazy(a)));
        assert!(ct_lt(&plain, &m_s), "from_montgomery reduces fully");
        assert_eq!(times_r(&plain), modm(a), "from_montgomery(x)·R = x");
        let xr = sat(&modulus.to_montgomery(&lazy(a)));
        assert!(ct_lt(&xr, &two_m));
        assert_eq!(modm(&xr), times_r(a), "to_montgomery(x) = x·R");
    }
    for a in &below_2m {
        assert_eq!(sat(&modulus.reduce(&lazy(a))), widen(&modm(a)), "reduce");
        for b in &below_2m {
            let sum = sat(&modulus.add(&lazy(a), &lazy(b)));
            assert_eq!(sum, add(a, b).0, "add");
            let diff = sat(&modulus.sub(&lazy(a), &lazy(b)));
            assert!(ct_lt(&diff, &four_m), "sub below 4m");
            assert_eq!(
                widen::<H, S>(&modm(&add(&diff, b).0)),
                widen(&modm(a)),
                "sub(a, b) + b = a"
            );
        }
    }

    // Double-width numbers below m·R into Montgomery form: 0, m·R − 1 and random ones.
    let m_r = big(&m_s).concatenating_mul(&pow2(r_bits));
    let below_m_r = |x: [u64; D]| -> [u64; D] {
        limbs(&big(&x).rem(&crate::crypto::montgomery::tests::nonzero(&m_r)))
    };
    let mut wide: Vec<[u64; D]> = vec![[0; D], below_m_r([u64::MAX; D])];
    for _ in 0..4 {
        wide.push(below_m_r(random_limbs()));
    }
    for x in wide {
        let xr = sat(&modulus.to_montgomery_wide(&x));
        assert!(ct_lt(&xr, &two_m));
        assert_eq!(
            modm(&xr),
            rem(&big(&x).concatenating_mul(&pow2(r_bits)), &m),
            "to_montgomery_wide(x) = x·R"
        );
    }

    // Public exponentiation, in and out of Montgomery form.
    let odd = crypto_bigint::Odd::new(big(&m)).unwrap();
    let exponents: [&[u64]; 6] = [&[], &[0], &[1], &[2], &[65537], &[3, 1]];
    for a in &values[..8] {
        let base = modulus.to_montgomery(&lazy(a));
        for exp in exponents {
            let result = modulus.pow_mont_vartime(&base, exp);
            assert!(ct_lt(&sat(&result), &two_m));
            let expected: [u64; H] = if exp.is_empty() {
                rem(&big(&one), &m)
            } else {
                limbs(&big(&widen::<H, H>(&modm(a))).pow_mod(&big(exp), &odd))
            };
            assert_eq!(
                sat(&modulus.from_montgomery(&result)),
                widen(&expected),
                "pow {exp:x?}"
            );
        }
    }
}

#[test]
fn lazy_arithmetic_matches_crypto_bigint_small() {
    for m in moduli::<1>() {
        check::<1, 2, 2, 2, 4>(m);
    }
    for m in moduli::<2>() {
        check::<2, 3, 4, 3, 6>(m);
    }
}

#[test]
fn lazy_arithmetic_matches_crypto_bigint_rsa_primes() {
    // The sizes RSA_2048, RSA_3072 and RSA_4096 use (the last with 60-bit limbs): a random
    // full-width prime-sized modulus, a short one and R − 1 of the 64-bit limbs.
    for (i, m) in moduli::<16>().into_iter().enumerate() {
        if [0, 4, 5].contains(&i) {
            check::<16, 17, 32, 17, 34>(m);
        }
    }
    check::<24, 25, 48, 26, 52>(moduli::<24>()[0]);
    assert_eq!(LazyModulus::<35, 70>::BITS, 60);
    check::<32, 33, 64, 35, 70>(moduli::<32>()[0]);
}

#[test]
fn new_rejects_even_tiny_and_too_wide_moduli() {
    assert!(LazyModulus::<2, 4>::new(&[10]).is_none(), "even");
    assert!(LazyModulus::<2, 4>::new(&[1]).is_none(), "one");
    assert!(LazyModulus::<2, 4>::new(&[]).is_none(), "empty");
    assert!(LazyModulus::<2, 4>::new(&[3]).is_some());
    // 2^(BITS·L) must be at least 16m: 118 bits fit in two 61-bit limbs, 119 do not.
    assert!(LazyModulus::<2, 4>::new(&[1, (1 << 54) - 1]).is_some());
    assert!(LazyModulus::<2, 4>::new(&[1, (1 << 55) - 1]).is_none());
    assert!(LazyModulus::<16, 32>::new(&[u64::MAX; 16]).is_none());
}

#[test]
fn split_and_join_known_answers() {
    // 2^61 − 1, 2^61 and 2^127 in 61-bit limbs.
    assert_eq!(split::<3>(&[(1 << 61) - 1], 61), [(1 << 61) - 1, 0, 0]);
    assert_eq!(split::<3>(&[1 << 61], 61), [0, 1, 0]);
    assert_eq!(split::<3>(&[0, 1 << 63], 61), [0, 0, 1 << 5]);
    assert_eq!(join::<3, 2>(&[0, 0, 1 << 5], 61), [0, 1 << 63]);
    assert_eq!(join::<3, 2>(&[(1 << 61) - 1, 7, 0], 61), [u64::MAX, 0]);
}
