//! `cargo xtask`: project automation that is easier in Rust than in shell.
//!
//! xtask drives cargo, the `realizar` CLI and the Python peers in
//! `comparative/` as processes; it links none of the engine crates.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::Command;

mod compare_matmul;

/// Automation for the realizar workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run criterion suites (all when none is named), passing extra arguments to criterion.
    #[command(
        after_help = "Examples:\n  cargo xtask bench tensor_ops\n  cargo xtask bench tensor_ops -- matvec"
    )]
    Bench {
        /// Suites to run: tensor_ops (more arrive with their crates).
        suites: Vec<String>,
        /// Arguments for criterion, after `--`.
        #[arg(last = true)]
        criterion_args: Vec<String>,
    },
    /// f32 matmul GFLOP/s of realizar, the `gemm` crate and numpy/OpenBLAS, measured in one run.
    #[command(after_help = "Needs `uv` for the numpy peer (pip install uv).")]
    CompareMatmul {
        /// Skip the numpy peer.
        #[arg(long)]
        no_numpy: bool,
    },
}

/// Suites with a bench target in `benches/`.
pub const SUITES: &[&str] = &["tensor_ops", "quantize"];

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Bench {
            suites,
            criterion_args,
        } => bench(&suites, &criterion_args),
        Cmd::CompareMatmul { no_numpy } => compare_matmul::run(!no_numpy),
    }
}

/// The workspace root (the parent of this crate's folder).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs a command in the workspace root, failing when it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {cmd:?}");
    let status = cmd
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn bench(suites: &[String], criterion_args: &[String]) -> Result<()> {
    let chosen: Vec<&str> = if suites.is_empty() {
        SUITES.to_vec()
    } else {
        suites.iter().map(String::as_str).collect()
    };
    for s in &chosen {
        if !SUITES.contains(s) {
            bail!("unknown suite {s:?}; known: {}", SUITES.join(", "));
        }
    }
    for s in chosen {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["bench", "-p", "realizar-benches", "--bench", s]);
        if !criterion_args.is_empty() {
            cmd.arg("--").args(criterion_args);
        }
        run(&mut cmd)?;
    }
    Ok(())
}
