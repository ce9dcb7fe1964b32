//! Montgomery arithmetic with lazy carries and lazy reduction, for the RSA public operation
//! modulo each prime (see `public_crt` in `asymmetric/rsa_fast.rs`).
//!
//! # Why another representation
//!
//! [`Modulus`](super::Modulus) keeps full 64-bit limbs, so every limb product must have its
//! carry propagated at once, and most of its instructions are carry handling. Here a number
//! is `L` limbs of [`LazyModulus::BITS`] bits (61, or 60 for the largest sizes) in `u64`s.
//! A limb product then stays below `2^122` (or `2^120`), and a whole column of them, plus
//! the column of the reduction, fits in a `u128` with room to spare: the product is
//! accumulated row by row into `2L` column sums with one add and one add-with-carry per limb
//! product, and carries between columns are resolved once, during the reduction. At 1024
//! bits a product takes ~380 ns against ~490 ns for [`Modulus::mul`](super::Modulus::mul),
//! and a square, which computes each cross product once, ~320 ns against ~480 ns
//! (`cargo bench --bench hot_path -- montgomery_1024`).
//!
//! # Lazy reduction
//!
//! `R = 2^(BITS·L)` is at least `16m` (checked by [`LazyModulus::new`]). Then the Montgomery
//! product of two numbers below `4m` is below `(4m)²/R + m ≤ 2m`, so no product needs the
//! final subtraction: numbers stay below `2m`, sums and differences of two of them below
//! `4m`, and only a result leaving the arithmetic is fully reduced ([`LazyModulus::reduce`]).
//!
//! # Constant time
//!
//! As in the parent module: loops over all limbs, carries and borrows computed
//! arithmetically, the one conditional subtraction selected by mask. Only `pow_mont_vartime`
//! branches, on its public exponent.

use std::hint::black_box;

use zeroize::Zeroize;

/// Calls `$row(i)` for i = 0, 1, ... 34, each with a literal: the compiler unrolls a loop only
/// when its bounds are constants, so a row function whose loop bounds depend on i becomes
/// straight-line code (rows from L on must do nothing). 35 covers every size used.
macro_rules! each_row {
    ($row:ident) => {
        const { assert!(L <= 35, "each_row! calls rows 0 to 34") };
        $row(0);
        $row(1);
        $row(2);
        $row(3);
        $row(4);
        $row(5);
        $row(6);
        $row(7);
        $row(8);
        $row(9);
        $row(10);
        $row(11);
        $row(12);
        $row(13);
        $row(14);
        $row(15);
        $row(16);
        $row(17);
        $row(18);
        $row(19);
        $row(20);
        $row(21);
        $row(22);
        $row(23);
        $row(24);
        $row(25);
        $row(26);
        $row(27);
        $row(28);
        $row(29);
        $row(30);
        $row(31);
        $row(32);
        $row(33);
        $row(34);
    };
}

/// A limb product, exactly.
#[inline(always)]
fn product(a: u64, b: u64) -> u128 {
    u128::from(a) * u128::from(b)
}

/// An odd modulus `m` with its constants, as `L` limbs of [`LazyModulus::BITS`] bits; `W` is
/// `2L`, the columns of a product.
#[derive(Clone)]
pub struct LazyModulus<const L: usize, const W: usize> {
    /// m, normalised (every limb below 2^BITS).
    m: [u64; L],
    /// −m⁻¹ mod 2^BITS.
    m_inv: u64,
    /// R² mod m, fully reduced.
    r2: [u64; L],
    /// R³ mod m, fully reduced.
    r3: [u64; L],
}

impl<const L: usize, const W: usize> LazyModulus<L, W> {
    /// Bits per limb: 61 while a column of `2L` limb products of 122 bits and the carry
    /// from the column before fit in 128 bits (`L ≤ 31`), else 60.
    pub const BITS: u32 = if L <= 31 { 61 } else { 60 };
    const MASK: u64 = (1 << Self::BITS) - 1;

    /// The constants for `m`, given as little-endian 64-bit limbs; `None` unless `m` is odd,
    /// above 1, and small enough for `R ≥ 16m`. Constant time apart from those checks.
    pub fn new(m: &[u64]) -> Option<LazyModulus<L, W>> {
        const {
            assert!(W == 2 * L, "a product has 2L columns");
            // Column bound: 2L limb products, plus a carry below 2^(128−BITS).
            let mask = Self::MASK as u128;
            let column = match (2 * L as u128).checked_mul(mask * mask) {
                Some(products) => products.checked_add(1 << (128 - Self::BITS)),
                None => None,
            };
            assert!(column.is_some(), "a column must fit in 128 bits");
        };
        let bits = m
            .iter()
            .rposition(|&limb| limb != 0)
            .map_or(0, |i| 64 * i + 64 - m[i].leading_zeros() as usize);
        if m.first().is_none_or(|&low| low & 1 == 0)
            || bits < 2
            || bits + 4 > Self::BITS as usize * L
        {
            return None;
        }
        let m: [u64; L] = split(m, Self::BITS);
        // Newton's iteration, as in `Modulus::new`: five steps give the inverse mod 2^64.
        let mut inv = m[0];
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv)));
        }
        let mut modulus = LazyModulus {
            m,
            m_inv: inv.wrapping_neg() & Self::MASK,
            r2: [0; L],
            r3: [0; L],
        };
        // 2^i mod m up to i = 2·BITS·L by modular doubling gives R², then R³ = mont(R², R⁴).
        let mut x = [0u64; L];
        x[0] = 1;
        for _ in 0..2 * Self::BITS as usize * L {
            x = modulus.reduce(&modulus.add(&x, &x));
        }
        modulus.r2 = x;
        modulus.r3 = modulus.reduce(&modulus.mul(&x, &x));
        Some(modulus)
    }

    /// `a + b`, limb by limb and then normalised; for `a, b < 2m` it is below `4m`.
    pub fn add(&self, a: &[u64; L], b: &[u64; L]) -> [u64; L] {
        let mut out = [0u64; L];
        let mut carry = 0;
        for i in 0..L {
            let s = a[i] + b[i] + carry;
            out[i] = s & Self::MASK;
            carry = s >> Self::BITS;
        }
        out[L - 1] |= carry << Self::BITS;
        out
    }

    /// `a + 2m − b`, congruent to `a − b` and in `(0, 4m)` for `a, b < 2m`.
    pub fn sub(&self, a: &[u64; L], b: &[u64; L]) -> [u64; L] {
        let mut out = [0u64; L];
        // A signed running carry: each step adds a[i] + 2m[i] − b[i] to it.
        let mut carry = 0i64;
        for i in 0..L {
            let s = a[i] as i64 + 2 * self.m[i] as i64 - b[i] as i64 + carry;
            out[i] = s as u64 & Self::MASK;
            carry = s >> Self::BITS;
        }
        out[L - 1] = out[L - 1].wrapping_add((carry as u64) << Self::BITS);
        out
    }

    /// `a mod m` for `a < 2m`: m subtracted when it does not borrow, selected by mask.
    pub fn reduce(&self, a: &[u64; L]) -> [u64; L] {
        let mut d = [0u64; L];
        let mut borrow = 0i64;
        for i in 0..L {
            let s = a[i] as i64 - self.m[i] as i64 + borrow;
            d[i] = s as u64 & Self::MASK;
            borrow = s >> Self::BITS;
        }
        // borrow is −1 when a < m (keep a), 0 otherwise (take d).
        let keep = black_box(borrow as u64);
        let mut out = [0u64; L];
        for i in 0..L {
            out[i] = (a[i] & keep) | (d[i] & !keep);
        }
        out
    }

    /// The Montgomery product `a·b·R⁻¹ mod m`, below 2m, for `a, b < 4m`: the columns of
    /// `a·b` row by row, then [`LazyModulus::redc`].
    pub fn mul(&self, a: &[u64; L], b: &[u64; L]) -> [u64; L] {
        let mut t = [0u128; W];
        for i in 0..L {
            for j in 0..L {
                t[i + j] += product(a[i], b[j]);
            }
        }
        self.redc(&mut t)
    }

    /// `mul(a, a)`, with each cross product `a[i]·a[j]` (`i < j`) computed once, as
    /// `a[i]·2a[j]`.
    pub fn square(&self, a: &[u64; L]) -> [u64; L] {
        let mut twice = [0u64; L];
        for i in 0..L {
            twice[i] = a[i] << 1;
        }
        let mut t = [0u128; W];
        // Row i: the square a[i]² and the cross products with the limbs above it.
        let mut row = |i: usize| {
            if i < L {
                t[2 * i] += product(a[i], a[i]);
                for j in i + 1..L {
                    t[i + j] += product(a[i], twice[j]);
                }
            }
        };
        each_row!(row);
        self.redc(&mut t)
    }

    /// Montgomery reduction of the columns `t` of a number below `m·R`: `t·R⁻¹ mod m`, below
    /// 2m (`(t + u·m)/R < t/R + m`). Column k gets `u_k·m`, with `u_k` chosen to make its low
    /// BITS bits zero, and its carry moves on to column k + 1; the high L columns,
    /// normalised, are the result.
    fn redc(&self, t: &mut [u128; W]) -> [u64; L] {
        let m = &self.m;
        for k in 0..L {
            let u = (t[k] as u64).wrapping_mul(self.m_inv) & Self::MASK;
            for j in 0..L {
                t[k + j] += product(u, m[j]);
            }
            t[k + 1] += t[k] >> Self::BITS;
        }
        let mut out = [0u64; L];
        let mut carry = 0u128;
        for i in 0..L {
            let x = t[L + i] + carry;
            out[i] = x as u64 & Self::MASK;
            carry = x >> Self::BITS;
        }
        // The value is below 2m < 2^(BITS·L): what is left belongs to the top limb.
        out[L - 1] |= (carry as u64) << Self::BITS;
        out
    }

    /// The Montgomery form `x·R mod m`, below 2m, of a number `x < m·R` given as
    /// little-endian 64-bit limbs (an RSA message modulo one of its primes): `redc(x)` is
    /// `x·R⁻¹`, and its product with R³ is `x·R`.
    pub fn to_montgomery_wide(&self, x: &[u64]) -> [u64; L] {
        let limbs: [u64; W] = split(x, Self::BITS);
        let mut t = [0u128; W];
        for i in 0..W {
            t[i] = u128::from(limbs[i]);
        }
        self.mul(&self.redc(&mut t), &self.r3)
    }

    /// The Montgomery form `x·R mod m`, below 2m, of `x < R`.
    pub fn to_montgomery(&self, x: &[u64; L]) -> [u64; L] {
        self.mul(x, &self.r2)
    }

    /// `x·R⁻¹ mod m`, fully reduced, for `x < 4m`: the number whose Montgomery form is `x`.
    pub fn from_montgomery(&self, x: &[u64; L]) -> [u64; L] {
        let mut t = [0u128; W];
        for i in 0..L {
            t[i] = u128::from(x[i]);
        }
        self.reduce(&self.redc(&mut t))
    }

    /// `base^exp` for a PUBLIC exponent, with `base` (below 4m) and the result (below 2m)
    /// in Montgomery form: left-to-right square and multiply. Variable time in `exp` only;
    /// `exp` = 0 gives `R mod m`.
    pub fn pow_mont_vartime(&self, base: &[u64; L], exp: &[u64]) -> [u64; L] {
        let Some(top) = super::top_bit(exp) else {
            let mut one = [0u64; L];
            one[0] = 1;
            return self.to_montgomery(&one);
        };
        super::square_and_multiply_vartime(
            base,
            exp,
            top,
            0,
            |a| self.square(a),
            |a, b| self.mul(a, b),
        )
    }
}

/// Wipes the modulus and its constants (a prime of an RSA key is secret).
impl<const L: usize, const W: usize> Zeroize for LazyModulus<L, W> {
    fn zeroize(&mut self) {
        self.m.zeroize();
        self.m_inv.zeroize();
        self.r2.zeroize();
        self.r3.zeroize();
    }
}

/// The little-endian 64-bit limbs `x` as `K` limbs of `bits` bits. Bits of `x` beyond
/// `bits·K` are dropped: the caller makes sure there are none. Constant time.
pub fn split<const K: usize>(x: &[u64], bits: u32) -> [u64; K] {
    let mask = (1u64 << bits) - 1;
    let word = |i: usize| x.get(i).copied().unwrap_or(0);
    let mut out = [0u64; K];
    for (k, limb) in out.iter_mut().enumerate() {
        let start = k * bits as usize;
        let (i, shift) = (start / 64, start % 64);
        // The limb's bits from word i, and from word i + 1 when it straddles two words.
        let low = word(i) >> shift;
        let high = if shift == 0 {
            0
        } else {
            word(i + 1) << (64 - shift)
        };
        *limb = (low | high) & mask;
    }
    out
}

/// The `K` normalised limbs of `bits` bits `x` as `H` little-endian 64-bit limbs; bits
/// beyond `64·H` are dropped (the caller makes sure there are none). Constant time.
pub fn join<const K: usize, const H: usize>(x: &[u64; K], bits: u32) -> [u64; H] {
    let mut out = [0u64; H];
    for (k, &limb) in x.iter().enumerate() {
        let start = k * bits as usize;
        let (i, shift) = (start / 64, start % 64);
        if i < H {
            out[i] |= limb << shift;
        }
        // The part of the limb that crosses into word i + 1.
        if shift + bits as usize > 64 && i + 1 < H {
            out[i + 1] |= limb >> (64 - shift);
        }
    }
    out
}

#[cfg(test)]
mod tests;
