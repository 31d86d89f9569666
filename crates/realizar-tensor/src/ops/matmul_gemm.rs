//! `f32 x f32` products through the [`gemm`](https://crates.io/crates/gemm)
//! crate.
//!
//! realizar's own packed GEMM (`matmul.rs`) serves every dtype and equals
//! `gemm` on one thread at 1024³, but `gemm` was measured faster at 512³
//! and, above all, on two threads (212 vs 156 GFLOP/s at 512³, 208 vs 159
//! at 1024³, `cargo xtask compare-matmul`, docs/src/performance.md). So
//! when both operands are `f32`, the product is large enough to be worth a
//! hand-off, and the kernel family is the CPU's best (not forced with
//! `REALIZAR_KERNEL`), the product is delegated to it, on realizar's one
//! thread pool. `f16`/`bf16` weights keep realizar's kernels, which widen
//! B while packing it.
//!
//! Build without the default `gemm` feature to drop the dependency (e.g.
//! for a size-optimised binary that never multiplies matrices).

use super::matmul::BLayout;
use crate::cpu::Isa;
use crate::kernels::kernels;
use crate::parallel;

/// Multiply-adds from which the `gemm` crate takes an `f32` product: below
/// this, realizar's kernels (no planning, no allocation after warm-up) are
/// as fast.
const MIN_MULADDS: usize = 64 * 64 * 64;

/// Multiply-adds per thread below which the product stays on one thread.
const MIN_MULADDS_PER_THREAD: usize = 1 << 18;

/// Whether `f32` products of this size go to the `gemm` crate.
pub(crate) fn applies(m: usize, n: usize, k: usize) -> bool {
    kernels().isa == Isa::best()
        && m.checked_mul(n)
            .and_then(|mn| mn.checked_mul(k))
            .is_some_and(|f| f >= MIN_MULADDS)
}

/// Who computes `f32 x f32` products of at least 64³ multiply-adds, for
/// `realizar info`.
pub fn backend() -> &'static str {
    if kernels().isa == Isa::best() {
        "gemm crate (from 64^3)"
    } else {
        "realizar (REALIZAR_KERNEL)"
    }
}

/// `C = A B` (or `A Bᵀ`) with the `gemm` crate. Shapes were checked by the
/// caller: `a` is `[m, k]`, `b` is `[k, n]` or `[n, k]`, `c` is `[m, n]`.
pub(crate) fn gemm_f32(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
    layout: BLayout,
    c: &mut [f32],
) {
    debug_assert!(a.len() == m * k && b.len() == k * n && c.len() == m * n);
    let threads = parallel::parts_for(m * n * k, MIN_MULADDS_PER_THREAD);
    let par = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // Element (p, j) of the k x n right-hand side: row stride, column stride.
    let (rhs_rs, rhs_cs) = match layout {
        BLayout::KxN => (n as isize, 1),
        BLayout::NxK => (1, k as isize),
    };
    parallel::pool().install(|| {
        // SAFETY: `c` holds m x n elements (row stride n, column stride 1),
        // `a` m x k (row stride k), and `b` k x n elements addressed by the
        // strides above; the caller checked all three lengths. `read_dst` is
        // false, so C's old contents are never read, and `c` is borrowed
        // mutably for the whole call.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                c.as_mut_ptr(),
                1,
                n as isize,
                false,
                a.as_ptr(),
                1,
                k as isize,
                b.as_ptr(),
                rhs_cs,
                rhs_rs,
                0.0f32,
                1.0f32,
                false,
                false,
                false,
                par,
            )
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::matmul::own_gemm;

    fn data(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn gemm_crate_equals_realizar_kernels() {
        for &(m, n, k) in &[(64, 64, 64), (67, 129, 65), (1, 300, 1000), (200, 3, 777)] {
            for layout in [BLayout::KxN, BLayout::NxK] {
                let a = data(m * k, 1);
                let b = data(k * n, 2);
                let mut ours = vec![f32::NAN; m * n];
                let mut theirs = vec![f32::NAN; m * n];
                own_gemm(m, n, k, &a, &b, layout, &mut ours);
                gemm_f32(m, n, k, &a, &b, layout, &mut theirs);
                for (i, (x, y)) in ours.iter().zip(&theirs).enumerate() {
                    assert!(
                        (x - y).abs() <= 1e-4 * (k as f32).sqrt(),
                        "{m}x{n}x{k} {layout:?} at {i}: {x} vs {y}"
                    );
                }
            }
        }
    }
}
