//! A small model's `f32` weights kept at every offset within a cache line,
//! so a dot product with an input reads both from line-aligned addresses.
//!
//! An AVX-512 load that straddles two cache lines costs two load slots,
//! and a 784-feature dot product is bound by its loads. The weights are
//! 64-byte aligned, but an input is wherever its caller put it: a `Vec<f32>`
//! from the allocator is usually 16-byte aligned, so most of its 64-byte
//! loads straddle. Here the weights are stored 16 times, copy `o` starting
//! `4 o` bytes into a line; [`Coaligned::dot`] picks the copy with the
//! input's offset and runs a kernel that first reads the elements up to the
//! input's next line boundary with masked loads, after which every load of
//! both operands is line-aligned. Measured on a 784-feature input in a
//! request buffer (one process, 20,000 calls each, `Instant` around each):
//! 92–100 ns with the input 64-byte aligned against 105–110 ns at the
//! other offsets, through the plain kernel.
//!
//! Only with AVX-512 (the masked loads) and for dimensions up to
//! [`MAX_DIM`] (16 copies of the weights), built on a model's first
//! prediction rather than when it is loaded (copying them doubled the
//! load time of a 784-feature model, 6.9 to 12.2 µs). The sum is in a different order
//! than the plain kernel's, which only the class's fast path uses (its sign
//! is re-checked exactly near zero), so predictions do not depend on it.

use super::aligned::AlignedF32;
use super::logistic::DotFn;

/// Largest input dimension kept in 16 copies (256 KiB of weights).
pub(crate) const MAX_DIM: usize = 4096;

/// `f32` lanes per cache line.
const LANES: usize = AlignedF32::LANES;

/// The weights at every line offset, and the kernel that uses them.
#[derive(Debug, Clone)]
pub(crate) struct Coaligned {
    copies: AlignedF32,
    stride: usize,
    dim: usize,
    kernel: DotFn,
}

impl Coaligned {
    /// The copies of `w`, or `None` where they do not pay (no AVX-512,
    /// `REALIZAR_KERNEL` not choosing it, or more than [`MAX_DIM`] weights).
    pub(crate) fn new(w: &[f32]) -> Option<Self> {
        let kernel = peel_kernel()?;
        if w.is_empty() || w.len() > MAX_DIM {
            return None;
        }
        // A multiple of the line, so copy o starts at offset o in its line.
        let stride = (w.len() + LANES).next_multiple_of(LANES);
        let mut copies = AlignedF32::zeros(LANES * stride);
        let all = copies.as_mut_slice();
        for o in 0..LANES {
            let at = o * stride + o;
            all[at..at + w.len()].copy_from_slice(w);
        }
        Some(Self {
            copies,
            stride,
            dim: w.len(),
            kernel,
        })
    }

    /// `sum w[i] x[i]` over the common length, both operands read from
    /// line-aligned addresses after a masked head.
    #[inline]
    pub(crate) fn dot(&self, x: &[f32]) -> f32 {
        let o = (x.as_ptr() as usize / std::mem::size_of::<f32>()) % LANES;
        let at = o * self.stride + o;
        (self.kernel)(x, &self.copies.as_slice()[at..at + self.dim])
    }

    /// Bytes [`Coaligned::new`] takes for `dim` weights on this CPU (0 where
    /// it declines), known before it is built.
    pub(crate) fn footprint(dim: usize) -> usize {
        if peel_kernel().is_none() || dim == 0 || dim > MAX_DIM {
            return 0;
        }
        let stride = (dim + LANES).next_multiple_of(LANES);
        LANES * stride * std::mem::size_of::<f32>()
    }
}

/// The peeling kernel of this CPU, if it has one.
fn peel_kernel() -> Option<DotFn> {
    #[cfg(target_arch = "x86_64")]
    {
        use realizar_tensor::Isa;
        if realizar_tensor::kernels::kernels().isa == Isa::Avx512 && super::dot::x86::has_avx512() {
            return Some(x86::dot_peel);
        }
    }
    None
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// `a . b`: the elements before `a`'s next 64-byte boundary by masked
    /// loads, then 16 at a time (aligned for `a`, and for `b` when it has
    /// the same offset), the rest by one masked load.
    #[target_feature(enable = "avx512f")]
    fn dot_peel_impl(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let head = ((16 - (pa as usize / 4) % 16) % 16).min(n);
        let mut acc = [_mm512_setzero_ps(); 4];
        if head > 0 {
            let m = ((1u32 << head) - 1) as __mmask16;
            // SAFETY: the mask selects elements 0..head, inside both slices;
            // masked-off lanes are not read.
            acc[3] = unsafe {
                _mm512_mul_ps(_mm512_maskz_loadu_ps(m, pa), _mm512_maskz_loadu_ps(m, pb))
            };
        }
        let mut i = head;
        // The loads below read 16 elements at i + 16k <= n - 16.
        while i + 64 <= n {
            for (k, s) in acc.iter_mut().enumerate() {
                let o = i + 16 * k;
                // SAFETY: o + 16 <= n (see above).
                *s = unsafe {
                    _mm512_fmadd_ps(_mm512_loadu_ps(pa.add(o)), _mm512_loadu_ps(pb.add(o)), *s)
                };
            }
            i += 64;
        }
        while i + 16 <= n {
            // SAFETY: i + 16 <= n.
            acc[0] = unsafe {
                _mm512_fmadd_ps(
                    _mm512_loadu_ps(pa.add(i)),
                    _mm512_loadu_ps(pb.add(i)),
                    acc[0],
                )
            };
            i += 16;
        }
        if i < n {
            let m = ((1u32 << (n - i)) - 1) as __mmask16;
            // SAFETY: the mask selects elements i..n, inside both slices.
            acc[1] = unsafe {
                _mm512_fmadd_ps(
                    _mm512_maskz_loadu_ps(m, pa.add(i)),
                    _mm512_maskz_loadu_ps(m, pb.add(i)),
                    acc[1],
                )
            };
        }
        _mm512_reduce_add_ps(_mm512_add_ps(
            _mm512_add_ps(acc[0], acc[1]),
            _mm512_add_ps(acc[2], acc[3]),
        ))
    }

    /// The AVX-512 peeling dot product.
    pub(super) fn dot_peel(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: handed out by `peel_kernel` only after `dot::x86::has_avx512`
        // (AVX-512 F among others).
        unsafe { dot_peel_impl(a, b) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quarter-integers up to 16: every product and partial sum is exact
    /// in `f32` at these lengths, whatever the order of summation.
    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 7 + seed * 13) % 129) as f32 / 4.0 - 16.0)
            .collect()
    }

    #[test]
    fn every_offset_and_length_gives_the_exact_dot() {
        let Some(kernel) = peel_kernel() else {
            return;
        };
        let mut buf_a = AlignedF32::zeros(1024);
        let mut buf_b = AlignedF32::zeros(1024);
        for n in (0..=40).chain([63, 64, 65, 784, 785]) {
            for (oa, ob) in (0..16).map(|o| (o, o)).chain([(0, 3), (5, 0), (7, 11)]) {
                let (a, b) = (values(n, 1), values(n, 2));
                buf_a.as_mut_slice()[oa..oa + n].copy_from_slice(&a);
                buf_b.as_mut_slice()[ob..ob + n].copy_from_slice(&b);
                let want: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
                let got = kernel(&buf_a.as_slice()[oa..oa + n], &buf_b.as_slice()[ob..ob + n]);
                assert_eq!(got, want, "n = {n}, offsets {oa}, {ob}");
            }
        }
    }

    #[test]
    fn the_copy_matches_the_input_offset() {
        let w = values(784, 3);
        let Some(c) = Coaligned::new(&w) else {
            return;
        };
        let mut buf = AlignedF32::zeros(800);
        for o in 0..16 {
            let x = values(784, 4);
            buf.as_mut_slice()[o..o + 784].copy_from_slice(&x);
            let x = &buf.as_slice()[o..o + 784];
            let at = o * c.stride + o;
            let copy = &c.copies.as_slice()[at..at + c.dim];
            assert_eq!(copy, &w[..]);
            assert_eq!(copy.as_ptr() as usize % 64, x.as_ptr() as usize % 64);
            let want: f32 = w.iter().zip(x).map(|(a, b)| a * b).sum();
            assert_eq!(c.dot(x), want, "offset {o}");
        }
        assert_eq!(Coaligned::footprint(784), c.copies.bytes());
        assert!(Coaligned::new(&vec![1.0; MAX_DIM + 1]).is_none());
        assert!(Coaligned::new(&[]).is_none());
    }
}
