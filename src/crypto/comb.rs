//! Faster ECDSA verification on NIST P-256 and P-384, where `u1·G + u2·Q` dominates the cost.
//! Both points are public and fixed (the generator, and the key's public point), so each gets a
//! table of precomputed multiples once: `table[i][j] = (j + 1)·2^(w·i)·P` in affine form. A
//! scalar written in signed base-2^w digits then costs one mixed addition per non-zero digit
//! and no doublings at all: about 100 additions where the generic double-scalar
//! multiplication spends some 250 doublings plus its additions.
//!
//! Verification handles only public values, so it uses variable-time arithmetic. Signing
//! multiplies the generator by a secret nonce, so [`sign_prehash`] uses the same table in
//! constant time: the digits are computed without branches, every entry of each window is
//! read, and every window costs one addition (of the identity for a zero digit).

use std::sync::OnceLock;

use elliptic_curve::group::{Curve as _, Group as _};
use elliptic_curve::ops::{Invert as _, Reduce};
use elliptic_curve::point::AffineCoordinates;
use elliptic_curve::subtle::{Choice, ConditionallySelectable as _, ConstantTimeEq as _};
use elliptic_curve::{FieldBytes, Generate as _, NonZeroScalar, PrimeField};
use hybrid_array::typenum::Unsigned;
use primeorder::{AffinePoint, PrimeCurveParams, ProjectivePoint, Scalar};

/// The generator's table: 2^6 multiples per window.
const GENERATOR_WINDOW: u32 = 7;
/// A public key's table: 2^3 multiples per window, 37 KB for P-256 (built on first use).
const KEY_WINDOW: u32 = 4;

/// Multiples of one point, for variable-time multiplication by any scalar.
pub struct Table<C: PrimeCurveParams> {
    window: u32,
    /// `(2^(window - 1))` multiples per window, window after window.
    points: Vec<AffinePoint<C>>,
}

impl<C: PrimeCurveParams> Table<C> {
    /// Precomputes the multiples of `point` for `window`-bit signed digits.
    fn new(point: ProjectivePoint<C>, window: u32) -> Table<C> {
        let per_window = 1usize << (window - 1);
        let windows = digit_count::<C>(window);
        let mut projective = Vec::with_capacity(windows * per_window);
        let mut base = point;
        for _ in 0..windows {
            let mut multiple = base;
            for _ in 0..per_window {
                projective.push(multiple);
                multiple += base;
            }
            for _ in 0..window {
                base = base.double();
            }
        }
        let mut points = vec![AffinePoint::<C>::IDENTITY; projective.len()];
        ProjectivePoint::<C>::batch_normalize(&projective, &mut points);
        Table { window, points }
    }

    /// The table of `public`, for [`verify_prehash`].
    pub fn for_key(public: &AffinePoint<C>) -> Table<C> {
        Table::new(ProjectivePoint::<C>::from(*public), KEY_WINDOW)
    }

    /// `k·P` in constant time, for a secret `k`.
    fn mul_secret(&self, k: &Scalar<C>) -> ProjectivePoint<C> {
        let per_window = 1usize << (self.window - 1);
        let mut sum = ProjectivePoint::<C>::IDENTITY;
        for (i, digit) in signed_digits(k.to_repr().as_ref(), self.window)
            .into_iter()
            .enumerate()
        {
            let magnitude = digit.unsigned_abs();
            let mut entry = AffinePoint::<C>::IDENTITY;
            for (j, point) in self.points[i * per_window..(i + 1) * per_window]
                .iter()
                .enumerate()
            {
                entry.conditional_assign(point, magnitude.ct_eq(&(j as u32 + 1)));
            }
            let negative = Choice::from(((digit >> 31) & 1) as u8);
            entry.conditional_assign(&-entry, negative);
            sum += entry;
        }
        sum
    }

    /// `k·P`, in variable time.
    fn mul(&self, k: &Scalar<C>) -> ProjectivePoint<C> {
        let per_window = 1usize << (self.window - 1);
        let mut sum = ProjectivePoint::<C>::IDENTITY;
        for (i, digit) in signed_digits(k.to_repr().as_ref(), self.window)
            .into_iter()
            .enumerate()
        {
            if digit == 0 {
                continue;
            }
            let point = self.points[i * per_window + digit.unsigned_abs() as usize - 1];
            sum += if digit < 0 { -point } else { point };
        }
        sum
    }
}

/// Curves with a generator table.
pub trait Generator: PrimeCurveParams {
    /// The generator's table, built on first use.
    fn table() -> &'static Table<Self>;
}

macro_rules! generator_table {
    ($curve:ty) => {
        impl Generator for $curve {
            fn table() -> &'static Table<$curve> {
                static TABLE: OnceLock<Table<$curve>> = OnceLock::new();
                TABLE.get_or_init(|| {
                    Table::new(ProjectivePoint::<$curve>::GENERATOR, GENERATOR_WINDOW)
                })
            }
        }
    };
}

generator_table!(p256::NistP256);
generator_table!(p384::NistP384);

/// ECDSA verification of a digest exactly as long as the curve's field (SHA-256 on P-256,
/// SHA-384 on P-384), with `key` the table of the public key. Accepts both values of s.
pub fn verify_prehash<C>(key: &Table<C>, digest: &[u8], signature: &ecdsa::Signature<C>) -> bool
where
    C: Generator + ecdsa::EcdsaCurve,
    Scalar<C>: Reduce<FieldBytes<C>>,
{
    let Ok(digest) = <&FieldBytes<C>>::try_from(digest) else {
        return false;
    };
    let (r, s) = signature.split_scalars();
    let z = <Scalar<C> as Reduce<FieldBytes<C>>>::reduce(digest);
    let s_inv = *s.invert_vartime();
    let u1 = z * s_inv;
    let u2 = *r * s_inv;
    let point = C::table().mul(&u1) + key.mul(&u2);
    // The identity's affine x is zero, which never equals a (non-zero) r.
    let x = point.to_affine().x();
    <Scalar<C> as Reduce<FieldBytes<C>>>::reduce(&x) == *r
}

/// ECDSA signature of a digest exactly as long as the curve's field, with a fresh random
/// nonce as AWS KMS signs (not RFC 6979's deterministic one). `None` for a digest of another
/// length, which the caller signs the generic way.
pub fn sign_prehash<C>(key: &NonZeroScalar<C>, digest: &[u8]) -> Option<ecdsa::Signature<C>>
where
    C: Generator + ecdsa::EcdsaCurve,
    Scalar<C>: Reduce<FieldBytes<C>>,
{
    let digest = <&FieldBytes<C>>::try_from(digest).ok()?;
    let z = <Scalar<C> as Reduce<FieldBytes<C>>>::reduce(digest);
    let mut rng = crate::crypto::rng();
    loop {
        let k = NonZeroScalar::<C>::generate_from_rng(&mut rng);
        let x = C::table().mul_secret(&k).to_affine().x();
        let r = <Scalar<C> as Reduce<FieldBytes<C>>>::reduce(&x);
        // k⁻¹ through a random blind b: (k·b)⁻¹·b. k·b is uniformly random whatever k is, so
        // inverting it in variable time reveals nothing about k.
        let blind = NonZeroScalar::<C>::generate_from_rng(&mut rng);
        let blinded = *k * *blind;
        let Some(blinded_inverse) = Option::<Scalar<C>>::from(blinded.invert_vartime()) else {
            continue;
        };
        let s = blinded_inverse * *blind * (z + r * **key);
        if let Ok(signature) = ecdsa::Signature::<C>::from_scalars(r, s) {
            // Fails only for r = 0 or s = 0 (probability ~2^-256): try another nonce.
            return Some(signature);
        }
    }
}

/// How many signed `window`-bit digits a scalar of curve `C` takes (one more than its bits
/// need, for the final carry).
fn digit_count<C: PrimeCurveParams>(window: u32) -> usize {
    let bits: usize = 8 * elliptic_curve::FieldBytesSize::<C>::USIZE;
    bits.div_ceil(window as usize) + 1
}

/// `k` (big-endian bytes) as digits `d_i` in `[-2^(w-1), 2^(w-1)]` with `k = Σ d_i·2^(w·i)`,
/// least significant first. Branch-free in the value of `k`.
fn signed_digits(big_endian: &[u8], window: u32) -> Vec<i32> {
    let bits = 8 * big_endian.len();
    let count = bits.div_ceil(window as usize) + 1;
    let bit = |n: usize| -> u32 {
        if n >= bits {
            return 0;
        }
        let byte = big_endian[big_endian.len() - 1 - n / 8];
        u32::from((byte >> (n % 8)) & 1)
    };
    let half = 1i32 << (window - 1);
    let mut digits = Vec::with_capacity(count);
    let mut carry = 0;
    for i in 0..count {
        let start = i * window as usize;
        let raw: u32 = (0..window as usize).map(|j| bit(start + j) << j).sum();
        let digit = raw as i32 + carry;
        // 1 when the digit is above half: then it becomes negative and carries one.
        carry = ((half - digit) >> 31) & 1;
        digits.push(digit - (carry << window));
    }
    digits
}

#[cfg(test)]
mod tests;
