//! x86-64 kernels: AVX2+FMA and AVX-512.
//!
//! The functions here are only reachable through their [`Kernels`](super::Kernels)
//! tables, which [`kernels_for`](super::kernels_for) hands out only after the
//! CPU has been checked for the features they were compiled with.

pub(crate) mod avx2;
pub(crate) mod avx512;
mod exp;
