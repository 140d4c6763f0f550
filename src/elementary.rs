//! Elementary functions in plain arithmetic: `exp`, `ln` and the sine and cosine of a turn,
//! as branch-free polynomials (fdlibm's coefficients) that vectorise. Rust never fuses or
//! reorders these operations, so they give the same bits on every CPU and operating system,
//! unlike the C library's, whose code is chosen by CPU (README, "Reproducibility"). The path
//! kernel runs them on lanes of paths ([`crate::engine::math`]); the distributions use the
//! scalar `exp` for lognormal draws. Within 1 ulp of the `libm` crate (tests in
//! `engine::math`); arguments outside a polynomial's range fall back to `libm`.

/// fdlibm's __kernel_sin and __kernel_cos coefficients (k_sin.c, k_cos.c), as bit patterns.
const SIN: [f64; 6] = [
    f64::from_bits(0xbfc5_5555_5555_5549),
    f64::from_bits(0x3f81_1111_1110_f8a6),
    f64::from_bits(0xbf2a_01a0_19c1_61d5),
    f64::from_bits(0x3ec7_1de3_57b1_fe7d),
    f64::from_bits(0xbe5a_e5e6_8a2b_9ceb),
    f64::from_bits(0x3de5_d93a_5acf_d57c),
];
const COS: [f64; 6] = [
    f64::from_bits(0x3fa5_5555_5555_554c),
    f64::from_bits(0xbf56_c16c_16c1_5177),
    f64::from_bits(0x3efa_01a0_19cb_1590),
    f64::from_bits(0xbe92_7e4f_809c_52ad),
    f64::from_bits(0x3e21_ee9e_bdb4_b1c4),
    f64::from_bits(0xbda8_fae9_be88_54d4),
];

/// (sin, cos) of 2 pi u for u in [0, 1), branch-free: 4u = q + f with q = round(4u) (an exact
/// split), the angle f pi / 2 in [-pi/4, pi/4] through fdlibm's kernels, and the quadrant q
/// choosing and signing them. Within about 1 ulp of libm where the result is not tiny.
#[inline(always)]
pub fn sin_cos_turn(u: f64) -> (f64, f64) {
    let y = 4.0 * u;
    let shifted = y + SHIFT;
    let q = shifted - SHIFT;
    let x = (y - q) * std::f64::consts::FRAC_PI_2;
    let z = x * x;
    let r = SIN[1] + z * (SIN[2] + z * (SIN[3] + z * (SIN[4] + z * SIN[5])));
    let sin = x + z * x * (SIN[0] + z * r);
    let c = z * (COS[0] + z * (COS[1] + z * (COS[2] + z * (COS[3] + z * (COS[4] + z * COS[5])))));
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    let cos = w + (((1.0 - w) - hz) + z * c);
    // q in 0..=4, in the low bits of `shifted`.
    in_quadrant((shifted.to_bits() & 3) as u32, sin, cos)
}

/// (sin, cos) of q pi/2 + x from (sin x, cos x) and the quadrant q mod 4: swapped when q is
/// odd, each signed by the quadrant (a multiplication by 1 or -1, exact). One rule for the
/// double- and single-precision `sin_cos_turn`.
#[inline(always)]
fn in_quadrant<T>(quadrant: u32, sin: T, cos: T) -> (T, T)
where
    T: Copy + std::ops::Mul<Output = T> + From<i8>,
{
    let (s, c) = if quadrant & 1 == 1 {
        (cos, sin)
    } else {
        (sin, cos)
    };
    let sin_sign = T::from(if quadrant >= 2 { -1 } else { 1 });
    let cos_sign = T::from(if quadrant == 1 || quadrant == 2 {
        -1
    } else {
        1
    });
    (sin_sign * s, cos_sign * c)
}

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// 1.5 * 2^52: adding it rounds to an integer held in the low bits of the mantissa.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// ln 2 split so that k * LN2_HI is exact for |k| < 2^11 (fdlibm's split, as bit patterns).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// Taylor coefficients 1/n! for n = 2..13.
const EXP_C: [f64; 12] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];
/// Beyond this the result is not a normal number (or the shift trick's range ends).
pub(crate) const EXP_LIMIT: f64 = 708.0;

/// e^x for |x| < 708 by range reduction x = k ln 2 + r, |r| <= ln2 / 2, and the degree-13
/// Taylor polynomial of e^r (Estrin's scheme for the tail, the leading terms last so their
/// rounding dominates). Outside that range use [`exp`].
#[inline(always)]
pub(crate) fn exp_reduced(x: f64) -> f64 {
    let y = x * LOG2_E + SHIFT;
    let k = y - SHIFT;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let r2 = r * r;
    let r4 = r2 * r2;
    let pair = |a: f64, b: f64| a + b * r;
    let c = &EXP_C;
    let q0 = pair(c[0], c[1]) + r2 * pair(c[2], c[3]);
    let q1 = pair(c[4], c[5]) + r2 * pair(c[6], c[7]);
    let q2 = pair(c[8], c[9]) + r2 * pair(c[10], c[11]);
    let q = q0 + r4 * (q1 + r4 * q2);
    let poly = 1.0 + (r + r2 * q);
    // 2^k: k sits in the low mantissa bits of y (offset by SHIFT's 2^51, which the shift
    // into the exponent field drops).
    let scale = f64::from_bits(y.to_bits().wrapping_add(1023) << 52);
    poly * scale
}

/// e^x, within 1 ulp of libm's.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    if x.abs() < EXP_LIMIT {
        exp_reduced(x)
    } else {
        libm::exp(x)
    }
}

/// Replaces each value by its exponential ([`exp`]).
#[inline(always)]
pub fn exp_in_place(xs: &mut [f64]) {
    // The common case, every argument in range, runs branch-free (vectorised).
    if xs.iter().fold(true, |ok, x| ok & (x.abs() < EXP_LIMIT)) {
        for x in xs.iter_mut() {
            *x = exp_reduced(*x);
        }
    } else {
        for x in xs.iter_mut() {
            *x = exp(*x);
        }
    }
}

const SQRT_2: f64 = std::f64::consts::SQRT_2;
const MANTISSA: u64 = (1 << 52) - 1;
/// 2^52 as f64 bits: OR-ing a small integer into the mantissa gives 2^52 + integer.
const TWO_52_BITS: u64 = 0x4330_0000_0000_0000;
/// fdlibm's minimax coefficients Lg1..Lg7 of e_log.c, as bit patterns.
const LG: [f64; 7] = [
    f64::from_bits(0x3fe5_5555_5555_5593),
    f64::from_bits(0x3fd9_9999_9997_fa04),
    f64::from_bits(0x3fd2_4924_9422_9359),
    f64::from_bits(0x3fcc_71c5_1d8e_78af),
    f64::from_bits(0x3fc7_4664_96cb_03de),
    f64::from_bits(0x3fc3_9a09_d078_c69f),
    f64::from_bits(0x3fc2_f112_df3e_5244),
];

/// ln x for positive normal finite x: fdlibm's e_log.c without its branches. x = 2^k (1 + f)
/// with sqrt(2)/2 < 1 + f < sqrt(2), s = f / (2 + f), and a minimax polynomial in s^2.
#[inline(always)]
pub(crate) fn ln_normal(x: f64) -> f64 {
    let bits = x.to_bits();
    let biased = bits >> 52;
    let mantissa = bits & MANTISSA;
    // Scale the mantissa into [1, 2), then halve it when above sqrt(2).
    let m = f64::from_bits(mantissa | (1023 << 52));
    let high = u64::from(m > SQRT_2);
    let m = f64::from_bits(mantissa | ((1023 - high) << 52));
    // k = biased + high - 1023, converted without an integer-to-float instruction.
    let k = f64::from_bits(TWO_52_BITS | (biased + high)) - (4_503_599_627_370_496.0 + 1023.0);
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG[1] + w * (LG[3] + w * LG[5]));
    let t2 = z * (LG[0] + w * (LG[2] + w * (LG[4] + w * LG[6])));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

/// Whether [`ln_normal`] applies: x positive, normal and finite.
#[inline(always)]
pub(crate) fn ln_in_range(x: f64) -> bool {
    (f64::MIN_POSITIVE..=f64::MAX).contains(&x)
}

/// ln x, within 1 ulp of libm's.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    if ln_in_range(x) {
        ln_normal(x)
    } else {
        libm::log(x)
    }
}

/// Replaces each value by its natural logarithm ([`ln`]).
#[inline(always)]
pub fn ln_in_place(xs: &mut [f64]) {
    if xs.iter().fold(true, |ok, &x| ok & ln_in_range(x)) {
        for x in xs.iter_mut() {
            *x = ln_normal(*x);
        }
    } else {
        for x in xs.iter_mut() {
            *x = ln(*x);
        }
    }
}

/// Single precision: what the path kernel's standard normals are made with (Box-Muller on 16
/// lanes of `f32`, [`crate::engine::shocks`]). Cephes's `logf`, `sinf` and `cosf` polynomials,
/// branch-free, within about 1 ulp of single precision over the ranges Box-Muller uses
/// (tests in `engine::math`). Plain IEEE single-precision arithmetic, never fused: the same bits
/// on every CPU, like the double-precision functions above.
pub mod single {
    /// Cephes's logf coefficients (logf.c), highest degree first.
    const LOG: [f32; 9] = [
        7.037_683_6e-2,
        -1.151_461e-1,
        1.167_699_9e-1,
        -1.242_014_1e-1,
        1.424_932_3e-1,
        -1.666_805_8e-1,
        2.000_071_4e-1,
        -2.499_999_4e-1,
        3.333_333e-1,
    ];
    /// ln 2 = LN2_HI + LN2_LO, the high part exact in a few bits (Cephes's split).
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const SQRT_HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;

    /// ln x for positive, normal, finite x (the caller's guarantee: Box-Muller's uniforms are
    /// in [2^-32, 1]). x = 2^e m with m in [sqrt(1/2), sqrt(2)), and Cephes's degree-9
    /// polynomial in m - 1 (f^2 f P(f) + ..., P of degree 8).
    #[inline(always)]
    pub fn ln_normal(x: f32) -> f32 {
        let bits = x.to_bits();
        // m in [1/2, 1), x = 2^e m.
        let mut e = ((bits >> 23) as i32) - 126;
        let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
        let low = m < SQRT_HALF;
        e -= i32::from(low);
        let f = if low { m + m - 1.0 } else { m - 1.0 };
        let e = e as f32;
        let z = f * f;
        // Estrin's scheme: a short dependency chain, so consecutive draws overlap.
        let pair = |high: f32, low: f32| low + high * f;
        let z2 = z * z;
        let c = &LOG;
        let p = (pair(c[7], c[8]) + z * pair(c[5], c[6]))
            + z2 * ((pair(c[3], c[4]) + z * pair(c[1], c[2])) + z2 * c[0]);
        let y = f * z * p + e * LN2_LO - 0.5 * z;
        (f + y) + e * LN2_HI
    }

    /// Cephes's sinf and cosf coefficients (sinf.c), highest degree first, valid on
    /// [-pi/4, pi/4].
    const SIN: [f32; 3] = [-1.951_529_6e-4, 8.332_161e-3, -1.666_665_5e-1];
    const COS: [f32; 3] = [2.443_315_7e-5, -1.388_731_6e-3, 4.166_664_6e-2];
    /// 1.5 * 2^23: adding it rounds a small non-negative number to an integer in the low
    /// mantissa bits.
    const SHIFT: f32 = 12_582_912.0;

    /// (sin, cos) of 2 pi u for u in [0, 1) on the grid of 2^-24: 4u = q + f with q = round(4u)
    /// (an exact split), the angle f pi / 2 in [-pi/4, pi/4] through the polynomials, and the
    /// quadrant q choosing and signing them.
    #[inline(always)]
    pub fn sin_cos_turn(u: f32) -> (f32, f32) {
        let y = 4.0 * u;
        let shifted = y + SHIFT;
        let q = shifted - SHIFT;
        let x = (y - q) * std::f32::consts::FRAC_PI_2;
        let z = x * x;
        let sin = ((SIN[0] * z + SIN[1]) * z + SIN[2]) * z * x + x;
        let cos = ((COS[0] * z + COS[1]) * z + COS[2]) * z * z - 0.5 * z + 1.0;
        super::in_quadrant(shifted.to_bits() & 3, sin, cos)
    }
}
