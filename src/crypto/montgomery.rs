//! Montgomery arithmetic on fixed-size integers, for RSA.
//!
//! # Representation
//!
//! An integer is a `[u64; N]` of little-endian limbs: `x = Σ x[i]·2^(64·i)`. `N` is a const
//! generic, so every size is its own fully sized type with no heap allocation: RSA-2048 uses
//! `N = 32` for the modulus and `N = 16` for its primes, RSA-3072 48 and 24, RSA-4096 64 and 32.
//!
//! # Montgomery multiplication
//!
//! For an odd modulus `m` of `N` limbs let `R = 2^(64·N)`. The Montgomery form of `x` is
//! `x·R mod m`, and the Montgomery product of `a` and `b` is `a·b·R⁻¹ mod m`: the product of
//! two numbers in Montgomery form is again in Montgomery form, `(aR)(bR)R⁻¹ = (ab)R`. The
//! division by `R` is cheap: for each limb, add the multiple `q·m` of the modulus that makes
//! the lowest limb zero (`q = t[0]·m' mod 2^64` with `m' = −m⁻¹ mod 2^64`) and drop that limb.
//! [`Modulus::mul`] interleaves this with the schoolbook product (CIOS or FIPS, Koç, Acar and
//! Kaliski 1996, depending on the size), and [`Modulus::square`] squares first and reduces
//! after. The result is below `2m` and one subtraction of `m`, chosen by a mask, reduces it
//! fully.
//!
//! Converting in and out is a Montgomery product too: `x·R mod m = mont(x, R² mod m)` and
//! `x = mont(xR, 1)`. A number of `2N` limbs, `x = hi·R + lo`, is reduced with
//! `mont(hi, R³) + mont(lo, R²) = hi·R² + lo·R = x·R (mod m)`, which is how an RSA ciphertext
//! (modulus-sized) enters the arithmetic modulo each half-sized prime.
//!
//! # Constant time
//!
//! Everything that can take a secret value (the primes, the private exponents, intermediate
//! results of the private operation) runs in time that depends only on the sizes `N` and the
//! exponent's length, which are public:
//!
//! - loops run over all limbs and all exponent bits, with no early exit;
//! - carries and borrows are computed arithmetically (through `u128`), never compared;
//! - a conditional result (the final subtraction of a Montgomery product, the correction of a
//!   modular addition or subtraction) is chosen with an all-ones or all-zeros mask built from a
//!   carry bit, not with a branch; the mask goes through [`std::hint::black_box`] so that the
//!   optimiser cannot see it is a boolean and turn the selection back into a branch;
//! - [`Modulus::pow`] uses a fixed 4-bit window: the same four squarings and one multiplication
//!   for every window whatever its value, and the table entry is read by scanning all sixteen
//!   entries and keeping the one whose index matches under a mask, so neither the sequence of
//!   operations nor the memory addresses touched depend on the exponent;
//! - 64×64→128-bit multiplication is constant-time on the targets kmsd runs on (x86-64 `mul`,
//!   AArch64 `mul`/`umulh`).
//!
//! Functions marked `_vartime` do branch on their inputs and are only for public values (a
//! public exponent, a ciphertext checked against the public modulus).

use std::hint::black_box;

use zeroize::Zeroize;

pub mod lazy;

/// The fixed window of [`Modulus::pow`], in bits.
const WINDOW: u32 = 4;
/// Table entries for that window.
const TABLE: usize = 1 << WINDOW;
/// Up to this many limbs, [`Modulus::mul`] uses operand scanning (see there).
const UNROLLED_LIMBS: usize = 16;

/// An all-ones mask for `bit == 1`, all zeros for `bit == 0` (`bit` must be 0 or 1).
///
/// `black_box` hides from the optimiser that the mask takes only two values, so that code
/// selecting with it stays branch-free.
#[inline(always)]
fn mask(bit: u64) -> u64 {
    black_box(0u64.wrapping_sub(bit))
}

/// 1 if `x == 0`, else 0, without a comparison: `x | −x` has its top bit set exactly when
/// `x ≠ 0`.
#[inline(always)]
fn is_zero(x: u64) -> u64 {
    ((x | x.wrapping_neg()) >> 63) ^ 1
}

/// `a + b + carry` (carry 0 or 1): the sum and the carry out.
#[inline(always)]
fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = a as u128 + b as u128 + carry as u128;
    (t as u64, (t >> 64) as u64)
}

/// `a − b − borrow` (borrow 0 or 1): the difference and the borrow out (0 or 1).
#[inline(always)]
fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = (a as u128).wrapping_sub(b as u128 + borrow as u128);
    (t as u64, ((t >> 64) as u64) & 1)
}

/// `acc + a·b + carry`, the low and high limbs; it cannot overflow 128 bits:
/// `(2^64 − 1) + (2^64 − 1)² + (2^64 − 1) = 2^128 − 1`.
#[inline(always)]
fn mac(acc: u64, a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = acc as u128 + (a as u128) * (b as u128) + carry as u128;
    (t as u64, (t >> 64) as u64)
}

/// A column sum of limb products, three limbs wide: `lo` (two limbs) and the count of its
/// overflows. A column has at most 2N products of two limbs each below 2^128, plus the
/// carry from the column before, so 192 bits hold it for any N below 2^62.
#[derive(Default)]
struct Accumulator {
    lo: u128,
    overflow: u64,
}

impl Accumulator {
    /// Adds `a·b`. The carry out of `lo` is added as a number (0 or 1), not branched on.
    #[inline(always)]
    fn add_product(&mut self, a: u64, b: u64) {
        let (sum, carry) = self.lo.overflowing_add(u128::from(a) * u128::from(b));
        self.lo = sum;
        self.overflow += u64::from(carry);
    }

    /// Adds one limb.
    #[inline(always)]
    fn add_limb(&mut self, x: u64) {
        let (sum, carry) = self.lo.overflowing_add(u128::from(x));
        self.lo = sum;
        self.overflow += u64::from(carry);
    }

    /// Adds another accumulator.
    #[inline(always)]
    fn add(&mut self, other: &Accumulator) {
        let (sum, carry) = self.lo.overflowing_add(other.lo);
        self.lo = sum;
        self.overflow += other.overflow + u64::from(carry);
    }

    /// Doubles the sum (which must stay below 2^191).
    #[inline(always)]
    fn double(&mut self) {
        self.overflow = (self.overflow << 1) | (self.lo >> 127) as u64;
        self.lo <<= 1;
    }

    /// The lowest limb.
    #[inline(always)]
    fn low(&self) -> u64 {
        self.lo as u64
    }

    /// Returns the lowest limb and divides the sum by 2^64, moving on to the next column.
    #[inline(always)]
    fn shift(&mut self) -> u64 {
        let low = self.lo as u64;
        self.lo = (self.lo >> 64) | (u128::from(self.overflow) << 64);
        self.overflow = 0;
        low
    }
}

/// `a + b` and the carry out (0 or 1). Constant time.
pub fn add<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], u64) {
    let mut out = [0u64; N];
    let mut carry = 0;
    for i in 0..N {
        (out[i], carry) = adc(a[i], b[i], carry);
    }
    (out, carry)
}

/// `a − b mod 2^(64N)` and the borrow out (1 when `a < b`). Constant time.
pub fn sub<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], u64) {
    let mut out = [0u64; N];
    let mut borrow = 0;
    for i in 0..N {
        (out[i], borrow) = sbb(a[i], b[i], borrow);
    }
    (out, borrow)
}

/// `a` where `mask` is all ones, `b` where it is zero. Constant time.
#[inline(always)]
fn select<const N: usize>(mask: u64, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
    let mut out = [0u64; N];
    for i in 0..N {
        out[i] = (a[i] & mask) | (b[i] & !mask);
    }
    out
}

/// Whether `a == b`, examining every limb. Constant time up to the final boolean.
pub fn ct_eq<const N: usize>(a: &[u64; N], b: &[u64; N]) -> bool {
    let diff = a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y));
    is_zero(black_box(diff)) == 1
}

/// Whether `a < b`. Constant time up to the final boolean.
pub fn ct_lt<const N: usize>(a: &[u64; N], b: &[u64; N]) -> bool {
    sub(a, b).1 == 1
}

/// The schoolbook product of two `H`-limb numbers, as `W = 2H` limbs (it always fits).
/// Constant time.
pub fn mul_wide<const H: usize, const W: usize>(a: &[u64; H], b: &[u64; H]) -> [u64; W] {
    const { assert!(W == 2 * H, "the product of two H-limb numbers has 2H limbs") };
    let mut out = [0u64; W];
    for i in 0..H {
        let mut carry = 0;
        for j in 0..H {
            (out[i + j], carry) = mac(out[i + j], a[i], b[j], carry);
        }
        out[i + H] = carry;
    }
    out
}

/// `x` zero-extended from `H` to `W ≥ H` limbs.
pub fn widen<const H: usize, const W: usize>(x: &[u64; H]) -> [u64; W] {
    const { assert!(W >= H, "widening cannot drop limbs") };
    let mut out = [0u64; W];
    out[..H].copy_from_slice(x);
    out
}

/// The big-endian bytes `bytes` as an integer, `None` if it does not fit in `N` limbs. Any
/// length up to `8N` bytes is read, and longer input only if the extra leading bytes are zero
/// (as a fixed-width encoding of a smaller number has). Constant time for a given length.
pub fn from_be_bytes<const N: usize>(bytes: &[u8]) -> Option<[u64; N]> {
    let (extra, digits) = bytes.split_at(bytes.len().saturating_sub(8 * N));
    if extra.iter().fold(0u8, |acc, &b| acc | b) != 0 {
        return None;
    }
    let mut out = [0u64; N];
    for (i, &byte) in digits.iter().rev().enumerate() {
        out[i / 8] |= u64::from(byte) << (8 * (i % 8));
    }
    Some(out)
}

/// Writes `x` to `out` as big-endian bytes, filling all of `out`: leading zero bytes if `out`
/// is longer than `8N`, and only the low `out.len()` bytes of `x` if it is shorter (the caller
/// knows `x` fits). Constant time for a given length.
pub fn to_be_bytes<const N: usize>(x: &[u64; N], out: &mut [u8]) {
    for (i, byte) in out.iter_mut().rev().enumerate() {
        *byte = if i < 8 * N {
            (x[i / 8] >> (8 * (i % 8))) as u8
        } else {
            0
        };
    }
}

/// An odd modulus `m > 1` of `N` limbs with the constants Montgomery arithmetic needs, computed
/// once (for RSA: once per key, then cached).
///
/// Every function takes and returns numbers of `N` limbs. Those in Montgomery form are
/// always fully reduced (below `m`); see each function for what it accepts.
#[derive(Clone)]
pub struct Modulus<const N: usize> {
    /// m.
    m: [u64; N],
    /// m' = −m⁻¹ mod 2^64.
    m_inv: u64,
    /// R mod m, the Montgomery form of 1.
    r1: [u64; N],
    /// R² mod m, which turns x into its Montgomery form x·R.
    r2: [u64; N],
    /// R³ mod m, for the high half of a double-width number.
    r3: [u64; N],
}

impl<const N: usize> Modulus<N> {
    /// The constants for `m`, `None` unless `m` is odd and greater than 1.
    ///
    /// Constant time apart from those two checks (a secret prime is odd and above 1): `R mod m`
    /// and `R² mod m` come from `64N` and `128N` modular doublings of 1.
    pub fn new(m: [u64; N]) -> Option<Modulus<N>> {
        let mut one = [0u64; N];
        if N == 0 {
            return None;
        }
        one[0] = 1;
        if m[0] & 1 == 0 || !ct_lt(&one, &m) {
            return None;
        }
        // Newton's iteration for the inverse modulo 2^64: if x·m ≡ 1 (mod 2^k) then
        // x·(2 − m·x)·m ≡ 1 (mod 2^2k). An odd m is its own inverse modulo 2^3 (m² ≡ 1 mod 8),
        // so five steps give 3 → 6 → 12 → 24 → 48 → 96 ≥ 64 bits.
        let mut inv = m[0];
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv)));
        }
        debug_assert_eq!(m[0].wrapping_mul(inv), 1);
        let mut modulus = Modulus {
            m,
            m_inv: inv.wrapping_neg(),
            r1: [0; N],
            r2: [0; N],
            r3: [0; N],
        };
        // 2^i mod m for i = 1..=64N gives R mod m, and on to 128N gives R² mod m.
        let mut x = one;
        for _ in 0..64 * N {
            x = modulus.add(&x, &x);
        }
        modulus.r1 = x;
        for _ in 0..64 * N {
            x = modulus.add(&x, &x);
        }
        modulus.r2 = x;
        // mont(R², R²) = R⁴·R⁻¹ = R³.
        modulus.r3 = modulus.mul(&modulus.r2, &modulus.r2);
        Some(modulus)
    }

    /// The modulus m.
    pub fn modulus(&self) -> &[u64; N] {
        &self.m
    }

    /// R mod m: 1 in Montgomery form.
    pub fn one(&self) -> &[u64; N] {
        &self.r1
    }

    /// The Montgomery product `a·b·R⁻¹ mod m`, fully reduced (below m).
    ///
    /// Requires `a·b < m·R`, which holds when one factor is below m and the other is any
    /// `N`-limb number: the result before the final step is `(a·b + u·m)/R < a·b/R + m < 2m`
    /// (u below R is the Montgomery quotient), and one subtraction of m, selected by mask,
    /// finishes the reduction.
    ///
    /// Two ways to compute the same thing, both constant time, chosen by the size (measured
    /// on x86-64): up to 16 limbs operand scanning ([`Modulus::mul_cios`]), whose constant
    /// loops the compiler unrolls completely; above that product scanning
    /// ([`Modulus::mul_fips`]).
    pub fn mul(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        if N <= UNROLLED_LIMBS {
            self.mul_cios(a, b)
        } else {
            self.mul_fips(a, b)
        }
    }

    /// `mul(a, a)` for `a` below m. Up to 16 limbs it is `mul`; above, [`Modulus::square_sos`]
    /// computes each cross product `a[i]·a[j]` once.
    pub fn square(&self, a: &[u64; N]) -> [u64; N] {
        if N <= UNROLLED_LIMBS {
            self.mul_cios(a, a)
        } else {
            self.square_sos(a)
        }
    }

    /// Montgomery product by operand scanning (CIOS, "coarsely integrated operand scanning",
    /// Koç, Acar and Kaliski 1996): for each limb `b[i]`, `t += a·b[i]`, then
    /// `t = (t + q·m) / 2^64` with `q = t[0]·m' mod 2^64`, which makes the low limb vanish.
    /// Between steps `t < R + m < 2R`: N limbs and a top limb of 0 or 1.
    ///
    /// Constant time: loops over all limbs, carries computed arithmetically, and the final
    /// subtraction selected with a mask built from the top limb and the borrow bit.
    fn mul_cios(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let m = &self.m;
        let mut t = [0u64; N];
        let mut t_hi = 0u64;
        for &bi in b.iter() {
            // t += a·b[i]
            let mut carry = 0;
            for j in 0..N {
                (t[j], carry) = mac(t[j], a[j], bi, carry);
            }
            let (t_n, t_n1) = adc(t_hi, carry, 0);
            // t = (t + q·m) / 2^64
            let q = t[0].wrapping_mul(self.m_inv);
            let (_, mut carry) = mac(t[0], q, m[0], 0);
            for j in 1..N {
                (t[j - 1], carry) = mac(t[j], q, m[j], carry);
            }
            let (top, c) = adc(t_n, carry, 0);
            t[N - 1] = top;
            t_hi = t_n1 + c;
        }
        self.final_subtraction(&t, t_hi)
    }

    /// Montgomery product by product scanning (FIPS, "finely integrated product scanning",
    /// same paper): column k of `a·b + u·m` is summed in a three-limb [`Accumulator`], where
    /// `u[k] = (column k so far)·m' mod 2^64` for the low N columns makes each of them end
    /// in a zero limb; the high N columns are the result. The same `2N²` limb products as
    /// CIOS, but a column is a chain of additions with carry rather than of multiply-adds
    /// whose carry feeds the next product: 10–20 % faster from 24 limbs on.
    ///
    /// Constant time: the loops depend only on N, carries are computed arithmetically, and
    /// the final subtraction is selected by mask.
    fn mul_fips(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let m = &self.m;
        let mut u = [0u64; N];
        let mut t = [0u64; N];
        let mut acc = Accumulator::default();
        for k in 0..N {
            for j in 0..k {
                acc.add_product(a[j], b[k - j]);
                acc.add_product(u[j], m[k - j]);
            }
            acc.add_product(a[k], b[0]);
            let uk = acc.low().wrapping_mul(self.m_inv);
            u[k] = uk;
            acc.add_product(uk, m[0]);
            // The column's low limb is now zero: dividing by 2^64 drops it.
            acc.shift();
        }
        for k in N..2 * N {
            for j in (k - N + 1)..N {
                acc.add_product(a[j], b[k - j]);
                acc.add_product(u[j], m[k - j]);
            }
            t[k - N] = acc.shift();
        }
        self.final_subtraction(&t, acc.low())
    }

    /// Montgomery squaring by separated operand scanning: the double-width square by
    /// product scanning, where column k is `2·Σ a[j]·a[k−j]` over `j < k − j` plus the
    /// square `a[k/2]²` for even k (about `N²/2` limb products instead of `N²`), then
    /// [`Modulus::redc`]. Requires `a < m`. Constant time: the loop bounds and the parity
    /// test depend on the column index only.
    fn square_sos(&self, a: &[u64; N]) -> [u64; N] {
        let mut lo = [0u64; N];
        let mut hi = [0u64; N];
        // The part of the sum carried into the next column.
        let mut carry = Accumulator::default();
        for k in 0..2 * N - 1 {
            let mut column = Accumulator::default();
            for j in (k + 1).saturating_sub(N)..k.div_ceil(2) {
                column.add_product(a[j], a[k - j]);
            }
            column.double();
            if k % 2 == 0 {
                column.add_product(a[k / 2], a[k / 2]);
            }
            column.add(&carry);
            let low = column.shift();
            if k < N {
                lo[k] = low;
            } else {
                hi[k - N] = low;
            }
            carry = column;
        }
        hi[N - 1] = carry.low();
        self.redc(&lo, &hi)
    }

    /// Montgomery reduction of a double-width `x = hi·R + lo < m·R`: `x·R⁻¹ mod m`, fully
    /// reduced, by product scanning as in [`Modulus::mul_fips`] (`(x + u·m)/R < 2m`).
    /// Constant time.
    fn redc(&self, lo: &[u64; N], hi: &[u64; N]) -> [u64; N] {
        let m = &self.m;
        let mut u = [0u64; N];
        let mut t = [0u64; N];
        let mut acc = Accumulator::default();
        for k in 0..N {
            acc.add_limb(lo[k]);
            for j in 0..k {
                acc.add_product(u[j], m[k - j]);
            }
            let uk = acc.low().wrapping_mul(self.m_inv);
            u[k] = uk;
            acc.add_product(uk, m[0]);
            acc.shift();
        }
        for k in N..2 * N {
            acc.add_limb(hi[k - N]);
            for j in (k - N + 1)..N {
                acc.add_product(u[j], m[k - j]);
            }
            t[k - N] = acc.shift();
        }
        self.final_subtraction(&t, acc.low())
    }

    /// `top·R + t` reduced below m, for a value below 2m (so `top` is 0 or 1): m is
    /// subtracted when the value is ≥ m, i.e. when `top` is 1 or `t − m` does not borrow,
    /// selected by mask. Constant time.
    #[inline(always)]
    fn final_subtraction(&self, t: &[u64; N], top: u64) -> [u64; N] {
        let (d, borrow) = sub(t, &self.m);
        select(mask(top | (borrow ^ 1)), &d, t)
    }

    /// The Montgomery form `x·R mod m` of any `N`-limb `x` (also `x ≥ m`). Constant time.
    pub fn to_montgomery(&self, x: &[u64; N]) -> [u64; N] {
        self.mul(x, &self.r2)
    }

    /// The number whose Montgomery form is `x`: `x·R⁻¹ mod m`, for any `N`-limb `x`.
    /// Constant time.
    pub fn from_montgomery(&self, x: &[u64; N]) -> [u64; N] {
        let mut one = [0u64; N];
        one[0] = 1;
        self.mul(x, &one)
    }

    /// The Montgomery form `x·R mod m` of a `W = 2N`-limb `x`: with `x = hi·R + lo`,
    /// `mont(hi, R³) + mont(lo, R²) = hi·R² + lo·R`. Any `x` below `R²`. Constant time.
    pub fn to_montgomery_wide<const W: usize>(&self, x: &[u64; W]) -> [u64; N] {
        const {
            assert!(
                W == 2 * N,
                "a wide number has twice the limbs of the modulus"
            )
        };
        let mut lo = [0u64; N];
        let mut hi = [0u64; N];
        lo.copy_from_slice(&x[..N]);
        hi.copy_from_slice(&x[N..]);
        self.add(&self.mul(&hi, &self.r3), &self.mul(&lo, &self.r2))
    }

    /// `x mod m` for a `W = 2N`-limb `x`. Constant time.
    pub fn reduce_wide<const W: usize>(&self, x: &[u64; W]) -> [u64; N] {
        self.from_montgomery(&self.to_montgomery_wide(x))
    }

    /// `a + b mod m` for `a, b < m` (in Montgomery form or not). Constant time: `a + b < 2m`,
    /// and m is subtracted, by mask, when the sum carries out or `sum − m` does not borrow.
    pub fn add(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let (s, carry) = add(a, b);
        let (d, borrow) = sub(&s, &self.m);
        select(mask(carry | (borrow ^ 1)), &d, &s)
    }

    /// `a − b mod m` for `a, b < m`. Constant time: m is added back, by mask, when `a − b`
    /// borrows.
    pub fn sub(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let (d, borrow) = sub(a, b);
        let correction = mask(borrow);
        let mut m = self.m;
        for limb in m.iter_mut() {
            *limb &= correction;
        }
        add(&d, &m).0
    }

    /// `base^exp` in Montgomery form, for a SECRET exponent: `base` is in Montgomery form
    /// (below m), `exp` any number of little-endian limbs (all of them are used, so pass it at
    /// its public, fixed width).
    ///
    /// Fixed 4-bit window, left to right: `table[i] = base^i`; for each window of the exponent
    /// from the top, four squarings and one multiplication by `table[window]`, also when the
    /// window is zero (`table[0]` is 1). The entry is fetched by [`select_entry`], which reads
    /// all sixteen. The same operations on the same addresses for every exponent of the length:
    /// constant time.
    pub fn pow(&self, base: &[u64; N], exp: &[u64]) -> [u64; N] {
        let mut table = [[0u64; N]; TABLE];
        table[0] = self.r1;
        table[1] = *base;
        for i in 2..TABLE {
            table[i] = self.mul(&table[i - 1], base);
        }
        let windows_per_limb = 64 / WINDOW;
        let mut acc = self.r1;
        let mut first = true;
        for &limb in exp.iter().rev() {
            for w in (0..windows_per_limb).rev() {
                let digit = (limb >> (w * WINDOW)) & (TABLE as u64 - 1);
                // The first window needs no squarings: acc is 1. Skipping them depends only
                // on the position, not on the exponent.
                if !first {
                    for _ in 0..WINDOW {
                        acc = self.square(&acc);
                    }
                }
                first = false;
                acc = self.mul(&acc, &select_entry(&table, digit));
            }
        }
        acc
    }

    /// `base^exp mod m` for a PUBLIC exponent (an RSA `e`), with `base` and the result not in
    /// Montgomery form; `base` any `N`-limb number (also `≥ m`).
    ///
    /// Left-to-right square and multiply over the bits of `exp` in Montgomery form, except
    /// that an odd exponent's last multiplication takes the plain `base`:
    /// `mont(x^(e−1)·R, x) = x^e`, which leaves the Montgomery form and saves the conversion
    /// back. For e = 65537 = 2^16 + 1: one conversion, 16 squarings and one multiplication.
    ///
    /// Variable time in `exp` only (its bit length and bits); constant time in `base`.
    /// `exp` = 0 gives 1 mod m.
    pub fn pow_vartime(&self, base: &[u64; N], exp: &[u64]) -> [u64; N] {
        let Some(top) = top_bit(exp) else {
            return self.from_montgomery(&self.r1);
        };
        let base_r = self.to_montgomery(base);
        if top == 0 {
            return self.from_montgomery(&base_r);
        }
        // base^(exp without its last bit), then the last squaring and multiplication.
        let acc = self.square(&self.pow_bits_vartime(&base_r, exp, top, 1));
        if bit(exp, 0) {
            self.mul(&acc, base)
        } else {
            self.from_montgomery(&acc)
        }
    }

    /// `base^exp` for a PUBLIC exponent, with `base` (below m) and the result in Montgomery
    /// form. Variable time in `exp` only; `exp` = 0 gives 1 (in Montgomery form).
    pub fn pow_mont_vartime(&self, base: &[u64; N], exp: &[u64]) -> [u64; N] {
        match top_bit(exp) {
            Some(top) => self.pow_bits_vartime(base, exp, top, 0),
            None => self.r1,
        }
    }

    /// `base^(exp >> low)` in Montgomery form, for `base` in Montgomery form and `top ≥ low`
    /// the highest set bit of `exp`: left-to-right square and multiply over bits `top` down
    /// to `low`. Variable time in `exp` only.
    fn pow_bits_vartime(&self, base: &[u64; N], exp: &[u64], top: usize, low: usize) -> [u64; N] {
        square_and_multiply_vartime(
            base,
            exp,
            top,
            low,
            |a| self.square(a),
            |a, b| self.mul(a, b),
        )
    }
}

/// `base^(exp >> low)` by left-to-right square and multiply over bits `top` (the highest set
/// bit of `exp`, at least `low`) down to `low`, with the representation's own `square` and
/// `mul`: the one loop of both Montgomery representations' public exponentiations.
/// Variable time in `exp` only.
fn square_and_multiply_vartime<T>(
    base: &T,
    exp: &[u64],
    top: usize,
    low: usize,
    square: impl Fn(&T) -> T,
    mul: impl Fn(&T, &T) -> T,
) -> T
where
    T: Copy,
{
    // The top bit: acc = base.
    let mut acc = *base;
    for i in (low..top).rev() {
        acc = square(&acc);
        if bit(exp, i) {
            acc = mul(&acc, base);
        }
    }
    acc
}

/// Bit `i` of the little-endian limbs `x`.
fn bit(x: &[u64], i: usize) -> bool {
    (x[i / 64] >> (i % 64)) & 1 == 1
}

/// The index of the highest set bit of `x`, `None` if `x` is zero. Variable time: for public
/// exponents only.
fn top_bit(x: &[u64]) -> Option<usize> {
    let (i, limb) = x.iter().enumerate().rev().find(|(_, limb)| **limb != 0)?;
    Some(64 * i + 63 - limb.leading_zeros() as usize)
}

/// Wipes the modulus and its constants (a prime of an RSA key is secret).
impl<const N: usize> Zeroize for Modulus<N> {
    fn zeroize(&mut self) {
        self.m.zeroize();
        self.m_inv.zeroize();
        self.r1.zeroize();
        self.r2.zeroize();
        self.r3.zeroize();
    }
}

/// `table[index]`, reading every entry: each is ANDed with a mask that is all ones only for
/// the matching index, and the results ORed together. Constant time in `index` (below
/// `TABLE`), both in operations and in memory addresses.
fn select_entry<const N: usize>(table: &[[u64; N]; TABLE], index: u64) -> [u64; N] {
    let mut out = [0u64; N];
    for (i, entry) in table.iter().enumerate() {
        let m = mask(is_zero(i as u64 ^ index));
        for j in 0..N {
            out[j] |= entry[j] & m;
        }
    }
    out
}

#[cfg(test)]
mod tests;
