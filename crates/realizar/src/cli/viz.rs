//! `realizar viz`: the views of realizar-viz on demo data, a criterion
//! folder or a file of latencies.

use super::input::read_series;
use anyhow::{Context, Result, bail};
use realizar_viz::{
    BenchmarkData, criterion, demo, render_ascii_histogram, render_comparison, render_report,
    render_sparkline, svg_comparison, svg_histogram,
};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub const EXAMPLES: &str = "\
Without --input, shows seeded log-normal demo latencies (the same for the same --seed).
--input takes a criterion folder (target/criterion, a group or one benchmark; the latest
run, `new`, is shown) or a file of latencies in microseconds: one number per line, a JSON
array, an object {\"name\": [..]} or an array of {\"name\", \"latencies_us\"}.

Examples:
  realizar viz
  realizar viz --color --samples 5000 --seed 7
  realizar viz --input target/criterion --filter matvec
  realizar viz --input latencies.txt --svg report/
  realizar viz --input target/criterion --tui";

/// Options of `realizar viz`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Colour the histograms (ANSI escapes), whatever the terminal.
    #[arg(long)]
    color: bool,
    /// Samples per demo benchmark.
    #[arg(long, value_name = "N", default_value_t = 1000, conflicts_with = "input",
          value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    samples: u64,
    /// Seed of the demo data.
    #[arg(long, value_name = "S", default_value_t = 42, conflicts_with = "input")]
    seed: u64,
    /// A criterion folder, or a file of latencies in microseconds.
    #[arg(long, value_name = "PATH")]
    input: Option<PathBuf>,
    /// Only benchmarks whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Histogram bins.
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    bins: u64,
    /// Width of histogram bars and sparklines, in characters.
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u64).range(4..=1000))]
    width: u64,
    /// Also write SVG charts (a histogram per benchmark and a comparison) into this folder.
    #[arg(long, value_name = "DIR")]
    svg: Option<PathBuf>,
    /// Open an interactive dashboard (arrows switch benchmarks, q quits).
    #[arg(long)]
    tui: bool,
}

/// Runs `realizar viz`.
pub fn run(args: Args) -> Result<()> {
    if args.tui && !std::io::stdout().is_terminal() {
        bail!(
            "--tui needs an interactive terminal, and standard output is not one; drop --tui to print the views"
        );
    }
    let mut benchmarks = match &args.input {
        None => demo::demo_benchmarks(args.samples as usize, args.seed)?,
        Some(p) => load(p)?,
    };
    if let Some(f) = &args.filter {
        benchmarks.retain(|b| b.name().contains(f.as_str()));
        if benchmarks.is_empty() {
            bail!("no benchmark name contains {f:?}");
        }
    }
    if let Some(dir) = &args.svg {
        write_svgs(dir, &benchmarks, args.bins as usize)?;
    }
    if args.tui {
        return tui(&benchmarks);
    }
    print!("{}", render(&args, &benchmarks)?);
    Ok(())
}

#[cfg(feature = "tui")]
fn tui(benchmarks: &[BenchmarkData]) -> Result<()> {
    Ok(realizar_viz::run_dashboard(benchmarks)?)
}

#[cfg(not(feature = "tui"))]
fn tui(_: &[BenchmarkData]) -> Result<()> {
    bail!("this realizar was built without the `tui` feature")
}

fn histogram(args: &Args, b: &BenchmarkData) -> Result<String> {
    let (bins, width) = (args.bins as usize, args.width as usize);
    if args.color {
        #[cfg(feature = "tui")]
        return Ok(realizar_viz::render_histogram_ansi(b, bins, width));
        #[cfg(not(feature = "tui"))]
        bail!("--color needs the `tui` feature, and this realizar was built without it");
    }
    Ok(render_ascii_histogram(b, bins, width))
}

fn heading(args: &Args, title: &str) -> String {
    if args.color {
        format!("\x1b[1;36m== {title} ==\x1b[0m\n")
    } else {
        format!("== {title} ==\n")
    }
}

/// The four sections: sparklines, histograms, reports, comparison.
fn render(args: &Args, benchmarks: &[BenchmarkData]) -> Result<String> {
    let width = args.width as usize;
    let mut out = String::new();
    match &args.input {
        None => out.push_str(&format!(
            "demo: {} seeded log-normal samples per benchmark (--seed {}), times per operation\n\n",
            args.samples, args.seed
        )),
        Some(p) => out.push_str(&format!(
            "{}: {} benchmark(s)\n\n",
            p.display(),
            benchmarks.len()
        )),
    }
    out.push_str(&heading(args, "Sparkline: samples in measurement order"));
    let name_w = benchmarks
        .iter()
        .map(|b| b.name().chars().count())
        .max()
        .unwrap_or(0);
    for b in benchmarks {
        out.push_str(&format!(
            "{:<name_w$}  {}\n",
            b.name(),
            render_sparkline(b, width)
        ));
    }
    out.push('\n');
    out.push_str(&heading(args, "Histogram"));
    for b in benchmarks {
        out.push_str(&histogram(args, b)?);
        out.push('\n');
    }
    out.push_str(&heading(args, "Report"));
    for b in benchmarks {
        out.push_str(&render_report(b));
        out.push('\n');
    }
    out.push_str(&heading(args, "Comparison"));
    out.push_str(&render_comparison(benchmarks, width.min(32))?);
    Ok(out)
}

/// Benchmarks from a criterion folder or a file.
fn load(path: &Path) -> Result<Vec<BenchmarkData>> {
    if path.is_dir() {
        let runs = criterion::find_runs(path, "new")?;
        if runs.is_empty() {
            bail!(
                "{}: no criterion results here (looked for <benchmark>/new/sample.json)",
                path.display()
            );
        }
        return runs
            .iter()
            .map(|r| r.to_benchmark_data().map_err(Into::into))
            .collect();
    }
    read_series(path)?
        .into_iter()
        .map(|(name, v)| BenchmarkData::new(name, v).with_context(|| path.display().to_string()))
        .collect()
}

/// A file name from a benchmark id.
pub fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write_svgs(dir: &Path, benchmarks: &[BenchmarkData], bins: usize) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let write = |name: String, svg: String| {
        let p = dir.join(name);
        std::fs::write(&p, svg).with_context(|| format!("{}: cannot write", p.display()))
    };
    for b in benchmarks {
        write(
            format!("histogram-{}.svg", slug(b.name())),
            svg_histogram(b, bins),
        )?;
    }
    write("comparison.svg".into(), svg_comparison(benchmarks)?)?;
    eprintln!(
        "wrote {} SVG file(s) to {}",
        benchmarks.len() + 1,
        dir.display()
    );
    Ok(())
}
