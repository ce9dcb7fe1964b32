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
use elliptic_curve::{Field, FieldBytes, Generate as _, NonZeroScalar, PrimeField};
use hybrid_array::typenum::Unsigned;
use primeorder::{AffinePoint, PrimeCurveParams, ProjectivePoint, Scalar};

/// The generator's table: 2^6 multiples per window.
const GENERATOR_WINDOW: u32 = 7;
/// A public key's table: 2^3 multiples per window, 33 KB of coordinates for P-256 (built on
/// first use).
const KEY_WINDOW: u32 = 4;

/// Multiples of one point, for variable-time multiplication by any scalar.
pub struct Table<C: PrimeCurveParams> {
    window: u32,
    /// `(2^(window - 1))` multiples per window, window after window, as the library's affine
    /// points, for constant-time signing: kept for the generator's table only, empty in a
    /// key's (which only verification reads), so a key's table is half the size.
    points: Vec<AffinePoint<C>>,
    /// The same multiples as bare (x, y) coordinates, for variable-time sums.
    coordinates: Vec<(C::FieldElement, C::FieldElement)>,
}

impl<C: PrimeCurveParams> Table<C> {
    /// Precomputes the multiples of `point` for `window`-bit signed digits.
    fn new(point: ProjectivePoint<C>, window: u32, for_signing: bool) -> Table<C> {
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
        // No entry is the identity: each is a multiple k·P with 0 < k < n of a point P of
        // prime order n, so its coordinates are those of a curve point.
        let coordinates = points
            .iter()
            .map(|point| {
                let x = C::FieldElement::from_repr(point.x()).unwrap_or(C::FieldElement::ZERO);
                let y = C::FieldElement::from_repr(point.y()).unwrap_or(C::FieldElement::ZERO);
                (x, y)
            })
            .collect();
        if !for_signing {
            points = Vec::new();
        }
        Table {
            window,
            points,
            coordinates,
        }
    }

    /// The table of `public`, for [`verify_prehash`].
    pub fn for_key(public: &AffinePoint<C>) -> Table<C> {
        Table::new(ProjectivePoint::<C>::from(*public), KEY_WINDOW, false)
    }

    /// `k·P` in constant time, for a secret `k`. Only for a table built `for_signing`.
    fn mul_secret(&self, k: &Scalar<C>) -> ProjectivePoint<C> {
        debug_assert!(
            !self.points.is_empty(),
            "a key's table has no points for signing"
        );
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

    /// Adds `k·P` to `sum`, in variable time.
    fn mul_add(&self, k: &Scalar<C>, sum: &mut Jacobian<C>) {
        let per_window = 1usize << (self.window - 1);
        for (i, digit) in signed_digits(k.to_repr().as_ref(), self.window)
            .into_iter()
            .enumerate()
        {
            if digit == 0 {
                continue;
            }
            let (x, y) = &self.coordinates[i * per_window + digit.unsigned_abs() as usize - 1];
            if digit < 0 {
                sum.add_affine(x, &-*y);
            } else {
                sum.add_affine(x, y);
            }
        }
    }
}

#[cfg(test)]
impl<C: PrimeCurveParams> Table<C> {
    /// `k·P` through the variable-time sum, as an affine point.
    fn mul(&self, k: &Scalar<C>) -> AffinePoint<C> {
        let mut sum = Jacobian::identity();
        self.mul_add(k, &mut sum);
        sum.to_affine()
    }
}

/// A point in Jacobian coordinates, `(X/Z², Y/Z³)`, with `Z = 0` for the identity: the
/// variable-time accumulator of verification. Adding an affine point costs 8
/// multiplications and 3 squarings (the library's complete formulas take 11 and more
/// additions), and the result needs no inversion to be compared with r.
struct Jacobian<C: PrimeCurveParams> {
    x: C::FieldElement,
    y: C::FieldElement,
    z: C::FieldElement,
}

impl<C: PrimeCurveParams> Jacobian<C> {
    fn identity() -> Jacobian<C> {
        Jacobian {
            x: C::FieldElement::ONE,
            y: C::FieldElement::ONE,
            z: C::FieldElement::ZERO,
        }
    }

    /// `self += (x2, y2)` for an affine point (never the identity). Variable time: the
    /// identity, equal points and opposite points take their own branches.
    fn add_affine(&mut self, x2: &C::FieldElement, y2: &C::FieldElement) {
        if bool::from(self.z.is_zero()) {
            *self = Jacobian {
                x: *x2,
                y: *y2,
                z: C::FieldElement::ONE,
            };
            return;
        }
        let z1z1 = self.z.square();
        let u2 = *x2 * z1z1;
        let s2 = *y2 * self.z * z1z1;
        let h = u2 - self.x;
        let r = s2 - self.y;
        if bool::from(h.is_zero()) {
            if bool::from(r.is_zero()) {
                // The same point: double it.
                self.double();
            } else {
                // Opposite points.
                *self = Jacobian::identity();
            }
            return;
        }
        let hh = h.square();
        let hhh = h * hh;
        let v = self.x * hh;
        let x3 = r.square() - hhh - v.double();
        let y3 = r * (v - x3) - self.y * hhh;
        self.z *= h;
        self.x = x3;
        self.y = y3;
    }

    /// `self = 2·self`, for any curve coefficient a. Only reached when a sum meets its own
    /// next term, which public random scalars make vanishingly rare.
    fn double(&mut self) {
        let yy = self.y.square();
        let s = (self.x * yy).double().double();
        let zz = self.z.square();
        let m = self.x.square() * C::FieldElement::from(3) + C::EQUATION_A * zz.square();
        let x3 = m.square() - s.double();
        let yyyy = yy.square();
        let y3 = m * (s - x3) - yyyy.double().double().double();
        self.z = (self.y * self.z).double();
        self.x = x3;
        self.y = y3;
    }

    /// The affine point (tests compare with the library's arithmetic).
    #[cfg(test)]
    fn to_affine(&self) -> AffinePoint<C> {
        let Some(z_inv) = Option::<C::FieldElement>::from(Field::invert(&self.z)) else {
            return AffinePoint::<C>::IDENTITY;
        };
        let zz_inv = z_inv.square();
        let x = (self.x * zz_inv).to_repr();
        let y = (self.y * zz_inv * z_inv).to_repr();
        Option::from(AffinePoint::<C>::from_coordinates(&x, &y))
            .unwrap_or(AffinePoint::<C>::IDENTITY)
    }

    /// Whether the affine x of this point, reduced modulo the group order n, equals `r`
    /// (non-zero, below n): whether `X = x·Z²` for `x = r` or, when it is below the field
    /// prime p, `x = r + n`. No inversion needed.
    fn x_matches(&self, r: &Scalar<C>) -> bool {
        if bool::from(self.z.is_zero()) {
            return false;
        }
        let zz = self.z.square();
        // r < n < p on the NIST curves, so r's bytes are a field element.
        let Some(r_field) =
            Option::<C::FieldElement>::from(C::FieldElement::from_repr(r.to_repr()))
        else {
            return false;
        };
        if r_field * zz == self.x {
            return true;
        }
        // n as a field element (n < p): the bytes of the scalar n − 1, plus one.
        let Some(n_minus_one) = Option::<C::FieldElement>::from(C::FieldElement::from_repr(
            (-Scalar::<C>::ONE).to_repr(),
        )) else {
            return false;
        };
        let n_field = n_minus_one + C::FieldElement::ONE;
        // r + n < p exactly when r < p − n, and p − n is −n in the field.
        let limit = (-n_field).to_repr();
        let below = r.to_repr().as_slice() < limit.as_slice();
        below && (r_field + n_field) * zz == self.x
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
                    Table::new(ProjectivePoint::<$curve>::GENERATOR, GENERATOR_WINDOW, true)
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
    let mut sum = Jacobian::identity();
    C::table().mul_add(&u1, &mut sum);
    key.mul_add(&u2, &mut sum);
    sum.x_matches(&r)
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
