//! The dot product behind probabilities: `f64` weights, `f32` inputs, `f64`
//! accumulation.
//!
//! A trained linear model's score is often a small difference of large
//! terms: for PyTorch's `nn.Linear(784, 2)` fitted to the synthetic set,
//! `sum |w_j x_j|` is about 200 while the score is about 0.5, so any `f32`
//! summation (whatever its order: PyTorch's, or the SIMD kernels') carries an
//! error near `2^-24 * 200 ~ 1e-5`. Accumulating in `f64` makes the score
//! exact to about `1e-14` of that, so probabilities are the exact softmax of
//! the stored `f32` weights and inputs, rounded once to `f32`.
//!
//! A portable version (the reference) and AVX-512 and AVX2+FMA versions
//! (widen 8 or 4 inputs, one FMA into four independent accumulators),
//! chosen with the instruction set the tensor crate's kernels use (so
//! `REALIZAR_KERNEL=scalar` picks the portable one here too).

/// `sum w[i] * x[i]` over the common length, accumulated in `f64`.
pub(crate) type DotF64 = fn(&[f64], &[f32]) -> f64;

/// The variant for this CPU (and `REALIZAR_KERNEL`).
pub(crate) fn dot_f64_kernel() -> DotF64 {
    let isa = realizar_tensor::kernels::kernels().isa;
    #[cfg(target_arch = "x86_64")]
    {
        use realizar_tensor::Isa;
        if isa == Isa::Avx512 && x86::has_avx512() {
            return x86::dot_avx512;
        }
        if matches!(isa, Isa::Avx512 | Isa::Avx2) && x86::has_avx2() {
            return x86::dot_avx2;
        }
    }
    let _ = isa;
    dot_portable
}

/// Lanes summed independently: enough chains to hide the add latency.
const LANES: usize = 32;

/// The portable loop: `LANES` independent accumulators.
#[inline(always)]
fn dot_body(w: &[f64], x: &[f32]) -> f64 {
    let n = w.len().min(x.len());
    let (w, x) = (&w[..n], &x[..n]);
    let (wc, wr) = w.as_chunks::<LANES>();
    let (xc, xr) = x.as_chunks::<LANES>();
    let mut acc = [0.0f64; LANES];
    for (a, b) in wc.iter().zip(xc) {
        for k in 0..LANES {
            acc[k] += a[k] * f64::from(b[k]);
        }
    }
    let (wc8, wr) = wr.as_chunks::<8>();
    let (xc8, xr) = xr.as_chunks::<8>();
    for (a, b) in wc8.iter().zip(xc8) {
        for k in 0..8 {
            acc[k] += a[k] * f64::from(b[k]);
        }
    }
    for (k, (a, b)) in wr.iter().zip(xr).enumerate() {
        acc[8 + k] += a * f64::from(*b);
    }
    // Pairwise reduction of the lanes.
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for k in 0..width {
            acc[k] += acc[k + width];
        }
    }
    acc[0]
}

/// The baseline-target variant.
pub(crate) fn dot_portable(w: &[f64], x: &[f32]) -> f64 {
    dot_body(w, x)
}

#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f,avx2,fma")]
    fn dot_avx512_impl(w: &[f64], x: &[f32]) -> f64 {
        let n = w.len().min(x.len());
        let (pw, px) = (w.as_ptr(), x.as_ptr());
        let mut acc = [_mm512_setzero_pd(); 4];
        let mut i = 0;
        // Each load below reads 8 elements at o <= n - 8: inside both slices.
        while i + 32 <= n {
            for (k, a) in acc.iter_mut().enumerate() {
                let o = i + 8 * k;
                // SAFETY: o + 8 <= n (see above).
                let (wv, xv) = unsafe { (_mm512_loadu_pd(pw.add(o)), _mm256_loadu_ps(px.add(o))) };
                *a = _mm512_fmadd_pd(wv, _mm512_cvtps_pd(xv), *a);
            }
            i += 32;
        }
        while i + 8 <= n {
            // SAFETY: i + 8 <= n.
            let (wv, xv) = unsafe { (_mm512_loadu_pd(pw.add(i)), _mm256_loadu_ps(px.add(i))) };
            acc[0] = _mm512_fmadd_pd(wv, _mm512_cvtps_pd(xv), acc[0]);
            i += 8;
        }
        let v = _mm512_add_pd(_mm512_add_pd(acc[0], acc[1]), _mm512_add_pd(acc[2], acc[3]));
        _mm512_reduce_add_pd(v) + super::dot_portable(&w[i..n], &x[i..n])
    }

    #[target_feature(enable = "avx2,fma")]
    fn dot_avx2_impl(w: &[f64], x: &[f32]) -> f64 {
        let n = w.len().min(x.len());
        let (pw, px) = (w.as_ptr(), x.as_ptr());
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut i = 0;
        // Each load below reads 4 elements at o <= n - 4: inside both slices.
        while i + 16 <= n {
            for (k, a) in acc.iter_mut().enumerate() {
                let o = i + 4 * k;
                // SAFETY: o + 4 <= n (see above).
                let (wv, xv) = unsafe { (_mm256_loadu_pd(pw.add(o)), _mm_loadu_ps(px.add(o))) };
                *a = _mm256_fmadd_pd(wv, _mm256_cvtps_pd(xv), *a);
            }
            i += 16;
        }
        while i + 4 <= n {
            // SAFETY: i + 4 <= n.
            let (wv, xv) = unsafe { (_mm256_loadu_pd(pw.add(i)), _mm_loadu_ps(px.add(i))) };
            acc[0] = _mm256_fmadd_pd(wv, _mm256_cvtps_pd(xv), acc[0]);
            i += 4;
        }
        let v = _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3]));
        let h = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
        let h = _mm_add_sd(h, _mm_unpackhi_pd(h, h));
        _mm_cvtsd_f64(h) + super::dot_portable(&w[i..n], &x[i..n])
    }

    /// AVX-512 variant.
    pub(crate) fn dot_avx512(w: &[f64], x: &[f32]) -> f64 {
        // SAFETY: handed out by `dot_f64_kernel` only after
        // `is_x86_feature_detected!` for avx512f, avx2 and fma.
        unsafe { dot_avx512_impl(w, x) }
    }

    /// AVX2 variant.
    pub(crate) fn dot_avx2(w: &[f64], x: &[f32]) -> f64 {
        // SAFETY: handed out by `dot_f64_kernel` only after
        // `is_x86_feature_detected!` for avx2 and fma.
        unsafe { dot_avx2_impl(w, x) }
    }

    /// Whether this CPU runs [`dot_avx512`].
    pub(crate) fn has_avx512() -> bool {
        is_x86_feature_detected!("avx512f") && has_avx2()
    }

    /// Whether this CPU runs [`dot_avx2`].
    pub(crate) fn has_avx2() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants() -> Vec<(&'static str, DotF64)> {
        #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
        let mut v: Vec<(&'static str, DotF64)> = vec![("portable", dot_portable)];
        #[cfg(target_arch = "x86_64")]
        {
            if x86::has_avx2() {
                v.push(("avx2", x86::dot_avx2));
            }
            if x86::has_avx512() {
                v.push(("avx512", x86::dot_avx512));
            }
        }
        v
    }

    #[test]
    fn every_variant_is_exact_on_every_length() {
        let mut g = super::super::math::SplitMix64::new(5);
        let mut r = || (g.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        for n in [0usize, 1, 7, 8, 9, 31, 32, 33, 63, 100, 784, 785] {
            // Small integers times powers of two: every product and partial
            // sum is exact in f64, so the answer is exact whatever the order.
            let w: Vec<f64> = (0..n).map(|_| (r() * 1000.0).round() / 8.0).collect();
            let x: Vec<f32> = (0..n)
                .map(|_| ((r() * 1000.0).round() / 4.0) as f32)
                .collect();
            let want: f64 = w.iter().zip(&x).map(|(a, b)| a * f64::from(*b)).sum();
            for (name, f) in variants() {
                assert_eq!(f(&w, &x), want, "{name}, n = {n}");
                // Unaligned starts and unequal lengths use the common prefix.
                if n > 2 {
                    let tail: f64 = w[1..]
                        .iter()
                        .zip(&x[1..n - 1])
                        .map(|(a, b)| a * f64::from(*b))
                        .sum();
                    assert_eq!(f(&w[1..], &x[1..n - 1]), tail, "{name}, n = {n}");
                }
            }
        }
    }

    #[test]
    fn cancellation_is_handled() {
        // 1e8 + 1 - 1e8 in f32 loses the 1; in f64 it does not.
        let w = [1.0f64, 1.0, -1.0];
        let x = [1e8f32, 1.0, 1e8];
        for (name, f) in variants() {
            assert_eq!(f(&w, &x), 1.0, "{name}");
        }
        assert!((dot_f64_kernel())(&w, &x) == 1.0);
    }
}
