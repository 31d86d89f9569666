//! Choosing the kernel table once per process.

use super::{Isa, Kernels, scalar};
use std::sync::OnceLock;

/// The kernel table of `isa`, or `None` when this CPU cannot run it.
///
/// This is the only way to reach a SIMD table, so a function compiled for
/// features the CPU lacks can never be called.
pub fn kernels_for(isa: Isa) -> Option<&'static Kernels> {
    if !isa.is_supported() {
        return None;
    }
    match isa {
        Isa::Scalar => Some(&scalar::KERNELS),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => Some(&super::x86::avx2::KERNELS),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => Some(&super::x86::avx512::KERNELS),
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => Some(&super::aarch64::neon::KERNELS),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Every kernel table this CPU can run, scalar first.
pub fn variants() -> Vec<&'static Kernels> {
    Isa::supported()
        .into_iter()
        .filter_map(kernels_for)
        .collect()
}

static SELECTED: OnceLock<&'static Kernels> = OnceLock::new();

/// The kernel table used by every operation: the best this CPU supports,
/// or the one named by `REALIZAR_KERNEL` (`scalar`, `avx2`, `avx512`, `neon`)
/// when the CPU supports it. Decided on first use and fixed for the process.
pub fn kernels() -> &'static Kernels {
    SELECTED.get_or_init(|| {
        let requested = std::env::var("REALIZAR_KERNEL")
            .ok()
            .and_then(|v| Isa::from_name(&v))
            .and_then(kernels_for);
        requested.unwrap_or_else(|| kernels_for(Isa::best()).unwrap_or(&scalar::KERNELS))
    })
}
