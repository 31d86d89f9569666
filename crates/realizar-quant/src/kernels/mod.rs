//! Quantized kernels, one table per instruction set, chosen once at run time.
//!
//! Every kernel has a plain-Rust reference in [`scalar`] that follows ggml's
//! reference code; the x86 (AVX2, AVX-VNNI, AVX-512 VNNI) and aarch64 (NEON)
//! variants are tested against it. Quantize and dequantize variants are
//! bit-identical to the reference; the dot products differ only in the
//! order the per-block products are added (see `docs/src/quant-formats.md`).
//!
//! Kernels never read or write past their slices and never panic: given
//! slices of different lengths they use the shorter (checking is the job of
//! the public functions in the crate root, which return typed errors).

use crate::activations::Q8Activations;
use crate::blocks::{BlockQ4_0, BlockQ8_0};
use std::sync::OnceLock;

pub mod scalar;

#[cfg(target_arch = "x86_64")]
pub(crate) mod x86;

#[cfg(target_arch = "aarch64")]
pub(crate) mod aarch64;

/// An instruction-set family with its own quantized kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuantIsa {
    /// Portable Rust, following ggml's reference code.
    Scalar,
    /// x86-64 AVX2 + FMA + F16C (`vpmaddubsw` dot products).
    Avx2,
    /// AVX2 with AVX-VNNI (`vpdpbusd` on 256-bit registers).
    AvxVnni,
    /// AVX-512 F/BW/VL/DQ with VNNI and VBMI (two blocks per 512-bit register).
    Avx512Vnni,
    /// aarch64 Advanced SIMD.
    Neon,
}

impl QuantIsa {
    /// Every variant, scalar first, best last (per architecture).
    pub const ALL: [QuantIsa; 5] = [
        QuantIsa::Scalar,
        QuantIsa::Avx2,
        QuantIsa::AvxVnni,
        QuantIsa::Avx512Vnni,
        QuantIsa::Neon,
    ];

    /// The lower-case name (`scalar`, `avx2`, `avxvnni`, `avx512vnni`, `neon`).
    pub const fn name(self) -> &'static str {
        match self {
            QuantIsa::Scalar => "scalar",
            QuantIsa::Avx2 => "avx2",
            QuantIsa::AvxVnni => "avxvnni",
            QuantIsa::Avx512Vnni => "avx512vnni",
            QuantIsa::Neon => "neon",
        }
    }

    /// Parses a name as printed by [`Self::name`]; `avx512` (the tensor
    /// crate's name) means `avx512vnni`.
    pub fn from_name(name: &str) -> Option<QuantIsa> {
        match name.trim().to_ascii_lowercase().as_str() {
            "scalar" => Some(QuantIsa::Scalar),
            "avx2" => Some(QuantIsa::Avx2),
            "avxvnni" => Some(QuantIsa::AvxVnni),
            "avx512" | "avx512vnni" => Some(QuantIsa::Avx512Vnni),
            "neon" => Some(QuantIsa::Neon),
            _ => None,
        }
    }

    /// Whether this CPU can run the variant.
    pub fn is_supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let avx2 = has!("avx2") && has!("fma") && has!("f16c");
            match self {
                QuantIsa::Scalar => true,
                QuantIsa::Avx2 => avx2,
                QuantIsa::AvxVnni => avx2 && has!("avxvnni"),
                QuantIsa::Avx512Vnni => {
                    avx2 && has!("avx512f")
                        && has!("avx512bw")
                        && has!("avx512vl")
                        && has!("avx512dq")
                        && has!("avx512vnni")
                        && has!("avx512vbmi")
                }
                QuantIsa::Neon => false,
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            match self {
                QuantIsa::Scalar => true,
                QuantIsa::Neon => std::arch::is_aarch64_feature_detected!("neon"),
                _ => false,
            }
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            self == QuantIsa::Scalar
        }
    }
}

impl std::fmt::Display for QuantIsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One function pointer per quantized kernel, all for the same instruction set.
///
/// Lengths are in blocks; each kernel works on as many whole blocks as all
/// its arguments hold.
#[derive(Debug, Clone, Copy)]
pub struct QuantKernels {
    /// The instruction set these kernels were compiled for.
    pub isa: QuantIsa,
    /// f32 -> Q4_0, bit-identical to ggml's `quantize_row_q4_0_ref`.
    pub quantize_q4_0: fn(&[f32], &mut [BlockQ4_0]),
    /// f32 -> Q8_0, bit-identical to ggml's `quantize_row_q8_0_ref`.
    pub quantize_q8_0: fn(&[f32], &mut [BlockQ8_0]),
    /// Q4_0 -> f32 (`(nibble - 8) * d`, exact as ggml).
    pub dequantize_q4_0: fn(&[BlockQ4_0], &mut [f32]),
    /// Q8_0 -> f32 (`q * d`, exact as ggml).
    pub dequantize_q8_0: fn(&[BlockQ8_0], &mut [f32]),
    /// `sum w_i x_i` of a Q4_0 row and Q8_0 activations.
    pub dot_q4_0: fn(&[BlockQ4_0], &Q8Activations) -> f32,
    /// `sum w_i x_i` of a Q8_0 row and Q8_0 activations.
    pub dot_q8_0: fn(&[BlockQ8_0], &Q8Activations) -> f32,
    /// [`dot_q4_0`](Self::dot_q4_0) of [`ROWS`] rows at once (that many
    /// weight streams read side by side), where the instruction set has one.
    pub dot_rows_q4_0: Option<DotRows<BlockQ4_0>>,
    /// [`dot_q8_0`](Self::dot_q8_0) of [`ROWS`] rows at once, where the
    /// instruction set has one.
    pub dot_rows_q8_0: Option<DotRows<BlockQ8_0>>,
    /// [`dot_q4_0`](Self::dot_q4_0) of one row with [`COLS`] activation
    /// vectors at once (the weights decoded once for all), where the
    /// instruction set has one.
    pub dot_cols_q4_0: Option<DotCols<BlockQ4_0>>,
}

/// Activation vectors a [`DotCols`] kernel takes at once.
pub const COLS: usize = 4;

/// A kernel taking the dot products of one row with [`COLS`] activation
/// vectors; each result equals the one-row kernel's bit for bit.
pub type DotCols<B> = fn(&[B], [&Q8Activations; COLS]) -> [f32; COLS];

/// Rows a [`DotRows`] kernel takes at once. A single row leaves DRAM
/// underused on the machines measured here: read bandwidth grows with the
/// streams each core reads side by side (`--bench matvec_pairs`).
pub const ROWS: usize = 4;

/// A kernel taking the dot products of [`ROWS`] rows with the same
/// activations; each result equals the one-row kernel's bit for bit.
pub type DotRows<B> = fn([&[B]; ROWS], &Q8Activations) -> [f32; ROWS];

/// The kernel table of `isa`, or `None` when this CPU cannot run it.
///
/// This is the only way to reach a SIMD table, so a function compiled for
/// features the CPU lacks is never called.
pub fn kernels_for(isa: QuantIsa) -> Option<&'static QuantKernels> {
    if !isa.is_supported() {
        return None;
    }
    match isa {
        QuantIsa::Scalar => Some(&scalar::KERNELS),
        #[cfg(target_arch = "x86_64")]
        QuantIsa::Avx2 => Some(&x86::avx2::KERNELS),
        #[cfg(target_arch = "x86_64")]
        QuantIsa::AvxVnni => Some(&x86::avx2::KERNELS_VNNI),
        #[cfg(target_arch = "x86_64")]
        QuantIsa::Avx512Vnni => Some(&x86::avx512::KERNELS),
        #[cfg(target_arch = "aarch64")]
        QuantIsa::Neon => Some(&aarch64::neon::KERNELS),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Every kernel table this CPU can run, scalar first, best last.
pub fn variants() -> Vec<&'static QuantKernels> {
    QuantIsa::ALL.into_iter().filter_map(kernels_for).collect()
}

static SELECTED: OnceLock<&'static QuantKernels> = OnceLock::new();

/// The table every function of this crate uses: the best this CPU supports,
/// or the one named by `REALIZAR_KERNEL` (`scalar`, `avx2`, `avxvnni`,
/// `avx512`/`avx512vnni`, `neon`) when the CPU supports it. Decided on first
/// use and fixed for the process.
pub fn kernels() -> &'static QuantKernels {
    SELECTED.get_or_init(|| {
        let requested = std::env::var("REALIZAR_KERNEL")
            .ok()
            .and_then(|v| QuantIsa::from_name(&v))
            .and_then(kernels_for);
        requested.unwrap_or_else(|| variants().last().copied().unwrap_or(&scalar::KERNELS))
    })
}
