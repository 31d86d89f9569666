//! x86-64 kernels: AVX2+FMA and AVX-512.
//!
//! The functions here are only reachable through their [`Kernels`](super::Kernels)
//! tables, which [`kernels_for`](super::kernels_for) hands out only after the
//! CPU has been checked for the features they were compiled with.

pub(crate) mod avx2;
pub(crate) mod avx512;
mod exp;

/// How far ahead (in bytes) the dot kernels prefetch their first operand.
const PREFETCH_BYTES: usize = 2048;

/// Operands shorter than this (in bytes of the first operand) are not
/// prefetched: most prefetches would land past their end, and on a hot
/// operand (a small model's weights, a request's features) each one only
/// takes a load slot from the loop (a 784-element dot was ~15 % slower).
const PREFETCH_MIN_BYTES: usize = 4 * PREFETCH_BYTES;

/// Whether a dot kernel should prefetch a first operand of `bytes` bytes.
#[inline(always)]
fn streams(bytes: usize) -> bool {
    bytes >= PREFETCH_MIN_BYTES
}

/// Asks for the `bytes` at `PREFETCH_BYTES` past `p` (one request per
/// 64-byte line) a few iterations before the loop reads them: with one
/// stream per core the hardware prefetcher alone leaves DRAM idle.
#[inline(always)]
fn prefetch_ahead<T>(p: *const T, bytes: usize) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    let ahead = (p as *const i8).wrapping_add(PREFETCH_BYTES);
    let mut off = 0;
    while off < bytes {
        // SAFETY: a prefetch is a hint that never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(off)) };
        off += 64;
    }
}
