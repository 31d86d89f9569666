//! `realizar info`: what this machine is and which kernels realizar picked.

use realizar::tensor::{cpu, kernels, parallel};
use serde::Serialize;

/// Options of `realizar info`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Info {
    version: &'static str,
    arch: &'static str,
    os: &'static str,
    cpu: String,
    features: Vec<&'static str>,
    isa: &'static str,
    supported_isas: Vec<&'static str>,
    kernel_override: Option<String>,
    threads: usize,
    kernels: Vec<KernelChoice>,
}

#[derive(Debug, Serialize)]
struct KernelChoice {
    op: &'static str,
    variant: String,
}

fn gather() -> Info {
    let k = kernels::kernels();
    Info {
        version: env!("CARGO_PKG_VERSION"),
        arch: std::env::consts::ARCH,
        os: std::env::consts::OS,
        cpu: cpu::model_name(),
        features: cpu::features(),
        isa: k.isa.name(),
        supported_isas: cpu::Isa::supported().iter().map(|i| i.name()).collect(),
        kernel_override: std::env::var("REALIZAR_KERNEL").ok(),
        threads: parallel::pool().current_num_threads(),
        kernels: k
            .describe()
            .into_iter()
            .map(|(op, variant)| KernelChoice { op, variant })
            .chain(std::iter::once(KernelChoice {
                op: "matmul f32 x f32",
                variant: realizar::tensor::ops::matmul_gemm::backend().to_string(),
            }))
            .collect(),
    }
}

/// Prints the report.
pub fn run(args: Args) -> anyhow::Result<()> {
    let info = gather();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    println!("realizar {} ({}-{})", info.version, info.arch, info.os);
    println!("cpu:       {}", info.cpu);
    println!("features:  {}", info.features.join(" "));
    println!(
        "isa:       {} (supported: {})",
        info.isa,
        info.supported_isas.join(", ")
    );
    if let Some(o) = &info.kernel_override {
        println!("override:  REALIZAR_KERNEL={o}");
    }
    println!("threads:   {}", info.threads);
    println!("kernels:");
    for k in &info.kernels {
        println!("  {:<16} {}", k.op, k.variant);
    }
    Ok(())
}
