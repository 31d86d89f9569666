//! SIMD kernels, one set per instruction set, chosen once at run time.
//!
//! Every kernel has a plain-Rust reference in [`scalar`]; the x86 (AVX2+FMA,
//! AVX-512) and aarch64 (NEON) variants are tested against it. A [`Kernels`]
//! table holds one function pointer per operation; [`kernels`] returns the
//! table of the best instruction set this CPU supports (or the one named by
//! `REALIZAR_KERNEL`), decided once per process.
//!
//! Kernels work on slices and never read past them. Operations on two
//! slices use the shorter length: checking shapes is the job of the
//! [`crate::ops`] layer above, which returns typed errors.

use half::{bf16, f16};

pub use crate::cpu::Isa;

mod dispatch;
pub mod scalar;

#[cfg(target_arch = "x86_64")]
pub mod x86;

#[cfg(target_arch = "aarch64")]
pub mod aarch64;

pub use dispatch::{kernels, kernels_for, variants};

/// The register-blocked inner kernel of the packed matrix multiplication.
///
/// Computes `C[i][j] (+)= sum_p A[i][p] * B[p][j]` for an `mr x nr` tile,
/// where `a` holds `mr` rows at a fixed stride of [`Gemm::kc`] (the first
/// `kc` of each are used: packing A is a row copy and the kernel's loads have
/// constant offsets), `b` holds `kc` packed rows of `nr` values and `c` points
/// at the tile's top-left element with a row stride of `ldc`. With
/// `accumulate == false` the tile is overwritten.
///
/// C is a raw pointer because the threads of one product write disjoint
/// column ranges of the same rows: no thread may hold a slice spanning them.
///
/// # Safety
/// `c` must be valid for reads and writes of the `mr x nr` tile at row
/// stride `ldc >= nr`, and nothing else may access those elements during
/// the call, and `kc <= Gemm::kc`. (`a` and `b` are checked: a short one panics.)
pub type GemmMicroKernel =
    unsafe fn(kc: usize, a: &[f32], b: &[f32], c: *mut f32, ldc: usize, accumulate: bool);

/// A matrix-multiplication micro-kernel with its tile and cache-block sizes.
#[derive(Debug, Clone, Copy)]
pub struct Gemm {
    /// Rows of the register tile.
    pub mr: usize,
    /// Columns of the register tile.
    pub nr: usize,
    /// Depth of a packed block (chosen so a `kc x nr` panel of B stays in
    /// L1), and the row stride of packed A panels.
    pub kc: usize,
    /// Rows of A packed at once (an `mc x kc` block stays in L2).
    pub mc: usize,
    /// Columns of B packed at once (a `kc x nc` block stays in L3).
    pub nc: usize,
    /// The micro-kernel.
    pub kernel: GemmMicroKernel,
}

/// One function pointer per kernel, all for the same instruction set.
#[derive(Debug, Clone, Copy)]
pub struct Kernels {
    /// The instruction set these kernels were compiled for.
    pub isa: Isa,
    /// `sum a[i] * b[i]`.
    pub dot_f32: fn(&[f32], &[f32]) -> f32,
    /// `sum w[i] * x[i]` with half-precision `w`.
    pub dot_f16: fn(&[f16], &[f32]) -> f32,
    /// `sum w[i] * x[i]` with bfloat16 `w`.
    pub dot_bf16: fn(&[bf16], &[f32]) -> f32,
    /// `out[i] = a[i] + b[i]`.
    pub add: fn(&[f32], &[f32], &mut [f32]),
    /// `out[i] = a[i] * b[i]`.
    pub mul: fn(&[f32], &[f32], &mut [f32]),
    /// `out[i] = a[i] * s`.
    pub scale: fn(&[f32], f32, &mut [f32]),
    /// The largest element (`-inf` for an empty slice; NaNs are skipped).
    pub max: fn(&[f32]) -> f32,
    /// `x[i] = exp(x[i] - shift)`, returning the sum of the new values.
    pub exp_shift_sum: fn(&mut [f32], f32) -> f32,
    /// `x[i] = x[i] / (1 + exp(-x[i]))` in place.
    pub silu: fn(&mut [f32]),
    /// `x[i] = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` in place.
    pub gelu_tanh: fn(&mut [f32]),
    /// Widens half-precision values.
    pub f16_to_f32: fn(&[f16], &mut [f32]),
    /// Widens bfloat16 values.
    pub bf16_to_f32: fn(&[bf16], &mut [f32]),
    /// The matrix-multiplication micro-kernel and its blocking.
    pub gemm: Gemm,
}

impl Kernels {
    /// The name of the variant behind each operation, for `realizar info`.
    ///
    /// Operations without a dedicated SIMD kernel (they reuse others or are
    /// written once in portable Rust) are listed as `scalar`.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let isa = self.isa.name();
        let tile = format!("{isa} {}x{}", self.gemm.mr, self.gemm.nr);
        vec![
            ("dot", isa.to_string()),
            ("matvec_f32", isa.to_string()),
            ("matvec_f16", isa.to_string()),
            ("matvec_bf16", isa.to_string()),
            ("matmul", tile),
            ("add/mul/scale", isa.to_string()),
            ("softmax", isa.to_string()),
            ("rmsnorm", isa.to_string()),
            ("layernorm", isa.to_string()),
            ("silu", isa.to_string()),
            ("gelu_tanh", isa.to_string()),
            ("gelu_erf", "scalar".to_string()),
            ("rope", "scalar".to_string()),
            ("argmax/top_k", "scalar".to_string()),
            ("f16/bf16->f32", isa.to_string()),
        ]
    }
}
