//! Subcommands of the `realizar` binary, one file each.

mod bench;
mod info;
mod input;
mod serve;
mod stats;
mod tokenize;
mod viz;

use clap::{Parser, Subcommand};

/// realizar: pure-Rust ML inference, serving and benchmarking.
#[derive(Debug, Parser)]
#[command(
    name = "realizar",
    version,
    about,
    long_about = None,
    after_help = "Examples:\n  realizar info\n  realizar info --json\n  REALIZAR_THREADS=1 realizar info"
)]
pub struct Cli {
    /// Worker threads for parallel kernels (default: REALIZAR_THREADS, else all cores).
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the CPU, its SIMD features, the kernel chosen for each op and the thread count.
    #[command(
        after_help = "Examples:\n  realizar info\n  realizar info --json | jq .kernels\n  REALIZAR_KERNEL=scalar realizar info"
    )]
    Info(info::Args),
    /// Run criterion suites and judge them: per-iteration percentiles, intervals, outliers and, against a baseline, a verdict.
    #[command(after_help = bench::EXAMPLES)]
    Bench(bench::Args),
    /// Show benchmark samples: sparkline, histogram, full report, comparison table; SVG files; a terminal dashboard.
    #[command(after_help = viz::EXAMPLES)]
    Viz(viz::Args),
    /// Statistics on files of measurements: `stats compare` gives an A/B verdict.
    #[command(after_help = stats::EXAMPLES)]
    Stats(stats::Args),
    /// Text to token ids and back, with a tokenizer.json or a SentencePiece .model.
    #[command(
        after_help = "Examples:\n  realizar tokenize --tokenizer tokenizer.json \"Hello, world\"\n  realizar tokenize --tokenizer tokenizer.model --add-special --json --verbose \"Hello\"\n  echo '\"one\"' | realizar tokenize --tokenizer tokenizer.json --jsonl\n  realizar tokenize --tokenizer tokenizer.json --decode \"15496 11 995\""
    )]
    Tokenize(tokenize::Args),
    /// Serve models over HTTP: /predict, /predict/batch, /health, /ready, /models, /metrics.
    #[command(after_help = serve::EXAMPLES)]
    Serve(serve::Args),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(n) = cli.threads {
        realizar::tensor::parallel::init(n as usize);
    }
    match cli.command {
        Command::Info(a) => info::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Viz(a) => viz::run(a),
        Command::Stats(a) => stats::run(a),
        Command::Tokenize(a) => tokenize::run(a),
        Command::Serve(a) => serve::run(a),
    }
}

/// An error and its causes on one line, for stderr.
pub fn one_line(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}
