//! x86-64 kernels: AVX2 (+ AVX-VNNI) and AVX-512 VNNI.
//!
//! The functions here are only reachable through their
//! [`QuantKernels`](super::QuantKernels) tables, which
//! [`kernels_for`](super::kernels_for) hands out only after the CPU has been
//! checked for the features they were compiled with.

pub(crate) mod avx2;
pub(crate) mod avx512;

/// How far ahead (in bytes) the dot kernels prefetch the weight row: with
/// one stream per core the hardware prefetcher alone leaves DRAM idle.
pub(crate) const PREFETCH_BYTES: usize = 2048;
