//! `cargo xtask lambda-build` (the `bootstrap` of crates/realizar-lambda,
//! zipped for `provided.al2023`, x86_64 or arm64) and `cargo xtask
//! lambda-report` (cold start, warm invocations, sizes, peak RSS and cost
//! beside a Python + PyTorch handler run in the same harness; writes
//! docs/src/lambda-report.md).
//!
//! The measuring is done by the `measure` example of realizar-lambda, which
//! spawns a function against the crate's mock Runtime API and prints JSON;
//! this file builds, runs and tabulates.

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

mod report;
pub use report::report;

/// Options of `cargo xtask lambda-build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Build for arm64 (Graviton): cross-compiles with aarch64-linux-gnu-gcc
    /// (installed with apt-get when missing) after `rustup target add
    /// aarch64-unknown-linux-gnu`.
    #[arg(long)]
    pub arm64: bool,
    /// The opt-level of this build of the `release-lambda` profile (3, s or z);
    /// builds other than the profile's own go to their own target folder.
    #[arg(long, value_name = "LEVEL")]
    pub opt_level: Option<String>,
    /// A safetensors model to embed instead of
    /// crates/realizar-lambda/models/mnist-v1.safetensors; `none` embeds
    /// nothing (the function then needs REALIZAR_MODEL).
    #[arg(long, value_name = "PATH")]
    pub model: Option<String>,
}

/// Options of `cargo xtask lambda-report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Spawns of the bootstrap for the cold-start figures.
    #[arg(long, default_value_t = 50)]
    pub spawns: usize,
    /// Warm invocations of one running bootstrap.
    #[arg(long, default_value_t = 500)]
    pub warm: usize,
    /// Spawns of the Python + PyTorch peer (each takes seconds).
    #[arg(long, default_value_t = 10)]
    pub python_spawns: usize,
    /// Warm invocations of the Python peer.
    #[arg(long, default_value_t = 200)]
    pub python_warm: usize,
    /// Leave the Python + PyTorch peer out.
    #[arg(long)]
    pub no_python: bool,
    /// Also build and measure the bootstrap at opt-level "s" (a second
    /// fat-LTO build in its own target folder).
    #[arg(long)]
    pub compare_opt_s: bool,
    /// Where the report goes (default docs/src/lambda-report.md).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// A built bootstrap and its zip.
#[derive(Debug)]
pub struct Built {
    /// The stripped binary.
    pub binary: PathBuf,
    /// The deployment zip (`bootstrap`, mode 755).
    pub zip: PathBuf,
    /// `x86_64` or `arm64`.
    pub arch: &'static str,
}

const AARCH64: &str = "aarch64-unknown-linux-gnu";
/// The Cargo profile of the bootstrap (root Cargo.toml).
const PROFILE: &str = "release-lambda";
const AARCH64_GCC: &str = "aarch64-linux-gnu-gcc";

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Makes sure the arm64 cross toolchain is there.
fn arm64_toolchain() -> Result<()> {
    if !have(AARCH64_GCC) {
        eprintln!("{AARCH64_GCC} not found: installing gcc-aarch64-linux-gnu with apt-get");
        let sudo = !is_root();
        let apt = |args: &[&str]| {
            let mut c = if sudo {
                let mut c = Command::new("sudo");
                c.arg("apt-get");
                c
            } else {
                Command::new("apt-get")
            };
            c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            crate::run(&mut c)
        };
        apt(&["update"])?;
        apt(&[
            "install",
            "-y",
            "gcc-aarch64-linux-gnu",
            "libc6-dev-arm64-cross",
        ])?;
    }
    crate::run(Command::new("rustup").args(["target", "add", AARCH64]))
        .context("rustup is needed to add the aarch64-unknown-linux-gnu target")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `cargo xtask lambda-build`.
pub fn build(args: &BuildArgs) -> Result<Built> {
    let cross = args.arm64 && !cfg!(target_arch = "aarch64");
    if cross {
        arm64_toolchain()?;
    }
    let mut target = crate::target_dir();
    if let Some(level) = &args.opt_level {
        if !matches!(level.as_str(), "0" | "1" | "2" | "3" | "s" | "z") {
            bail!("--opt-level {level:?}: expected 0, 1, 2, 3, s or z");
        }
        // Another opt-level rebuilds every crate: keep it apart so the
        // default build stays cached.
        target = target.join(format!("lambda-opt-{level}"));
    }
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args([
        "build",
        "-p",
        "realizar-lambda",
        "--bin",
        "bootstrap",
        "--profile",
        PROFILE,
    ])
    .env("CARGO_TARGET_DIR", &target);
    if let Some(level) = &args.opt_level {
        cmd.env("CARGO_PROFILE_RELEASE_LAMBDA_OPT_LEVEL", level);
    }
    if let Some(model) = &args.model {
        let value = if model == "none" {
            model.clone()
        } else {
            let p = std::fs::canonicalize(model).with_context(|| format!("--model {model}"))?;
            p.display().to_string()
        };
        cmd.env("REALIZAR_EMBED_MODEL", value);
    }
    let arch = if args.arm64 { "arm64" } else { "x86_64" };
    let binary = if cross {
        cmd.args(["--target", AARCH64])
            .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER", AARCH64_GCC);
        target.join(AARCH64).join(PROFILE).join("bootstrap")
    } else {
        target.join(PROFILE).join("bootstrap")
    };
    crate::run(&mut cmd)?;
    let out_dir = crate::target_dir().join("lambda");
    std::fs::create_dir_all(&out_dir)?;
    let mut name = String::from("bootstrap");
    if args.arm64 {
        name.push_str("-arm64");
    }
    if let Some(level) = &args.opt_level {
        name.push_str(&format!("-opt-{level}"));
    }
    let zip = out_dir.join(format!("{name}.zip"));
    write_zip(&binary, &zip)?;
    println!(
        "{arch} bootstrap: {} ({})\nzip: {} ({})",
        binary.display(),
        human_bytes(file_len(&binary)?),
        zip.display(),
        human_bytes(file_len(&zip)?)
    );
    Ok(Built { binary, zip, arch })
}

/// Zips `binary` as `bootstrap` with mode 755, as Lambda's custom runtimes
/// expect (`zip` crate: works where no `zip` command is installed).
fn write_zip(binary: &Path, zip_path: &Path) -> Result<()> {
    let bytes = std::fs::read(binary).with_context(|| format!("read {}", binary.display()))?;
    let file = std::fs::File::create(zip_path)
        .with_context(|| format!("create {}", zip_path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .unix_permissions(0o755);
    zip.start_file("bootstrap", options)?;
    zip.write_all(&bytes)?;
    zip.finish()?;
    Ok(())
}

fn file_len(p: &Path) -> Result<u64> {
    Ok(std::fs::metadata(p)
        .with_context(|| format!("stat {}", p.display()))?
        .len())
}

fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else {
        format!("{:.1} kB", b / 1e3)
    }
}
