//! aarch64 kernels: Advanced SIMD (NEON).
//!
//! NEON is part of the aarch64 baseline, but its table is still handed out
//! through [`kernels_for`](super::kernels_for) after run-time detection, like
//! every other variant.

pub(crate) mod neon;
