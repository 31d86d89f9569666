//! `cargo xtask bench-serve`: realizar's HTTP server under load beside a
//! hyper floor, FastAPI + uvicorn + PyTorch and TorchServe, in one run.
//!
//! Every target serves the same safetensors file (see [`model`]) and gets
//! the same JSON body; [`load`] drives it from one thread with closed-loop
//! keep-alive connections: p50/p99 at concurrency 1 and throughput at 16
//! and 64. All targets are started (and checked) first and paused; the
//! measurement runs in rounds, each resuming one target at a time, so a
//! VM whose speed drifts slows every target alike; each cell is the round
//! of median throughput. Then, for realizar alone, a soak at concurrency 64 (`--soak`:
//! failures and RSS before/after) and the cold start (process start to
//! `/ready` 200, many repetitions). [`report`] writes
//! comparative/SERVE_RESULTS.md and its SVG charts (realizar-viz).
//!
//! `cargo xtask` builds xtask without optimisation, which would make the
//! load generator the bottleneck. So the command first builds `realizar`
//! and xtask's binaries in release and re-runs itself from
//! `<target>/release/xtask`; the floor server is `xtask/src/bin/serve_floor.rs`.
//! The Python peers are started by comparative/serve_benchmark.py
//! (`uv run --script`, which installs their dependencies itself).

mod http1;
mod load;
mod model;
mod report;
mod rounds;
mod server;

use crate::{root, target_dir};
use anyhow::{Context, Result, bail};
use rounds::{Slot, measure_levels, median_round, prepare, run_soak};
use server::{Server, free_port, http_once};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Concurrency levels of the main table.
pub const CONCURRENCY: [usize; 3] = [1, 16, 64];

/// A server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// `realizar serve --model mnist-v1=<file>` (release build).
    Realizar,
    /// `serve-floor`: hyper parsing the same JSON, answering a constant.
    Floor,
    /// FastAPI + uvicorn + PyTorch (comparative/peers/serve_fastapi.py).
    Fastapi,
    /// TorchServe with a custom handler (comparative/peers/torchserve/).
    Torchserve,
}

impl Target {
    /// The name in tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            Self::Realizar => "realizar",
            Self::Floor => "floor (hyper)",
            Self::Fastapi => "FastAPI+PyTorch",
            Self::Torchserve => "TorchServe",
        }
    }

    fn predict_path(self) -> &'static str {
        match self {
            Self::Torchserve => "/predictions/mnist-v1",
            _ => "/predict",
        }
    }

    fn ready_limit(self) -> Duration {
        match self {
            Self::Realizar | Self::Floor => Duration::from_secs(20),
            Self::Fastapi => Duration::from_secs(300),
            Self::Torchserve => Duration::from_secs(300),
        }
    }
}

/// Options of `cargo xtask bench-serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Measured seconds per target and concurrency.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub duration: f64,
    /// Warm-up seconds before each measured window (not counted).
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub warmup: f64,
    /// Short run to check the set-up: 2 s windows, 0.5 s warm-up, 20 cold starts.
    #[arg(long)]
    pub quick: bool,
    /// Also soak realizar: --soak-secs at concurrency 64, failures and RSS growth.
    #[arg(long)]
    pub soak: bool,
    /// Length of the soak.
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    pub soak_secs: f64,
    /// Cold-start repetitions (0: skip).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub cold_starts: usize,
    /// Rounds: every target measured once per round, targets taking turns
    /// (each cell reports the round of median throughput).
    #[arg(long, default_value_t = 3, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=20))]
    pub rounds: u16,
    /// Load-generator threads (1 leaves a 2-core machine's other core to the server).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub client_threads: u16,
    /// Targets to run (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Target::Realizar, Target::Floor, Target::Fastapi, Target::Torchserve])]
    pub targets: Vec<Target>,
    /// Report path (default comparative/SERVE_RESULTS.md; charts go beside it in serve_charts/).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// What happened to one target.
#[derive(Debug)]
pub enum Outcome {
    /// It could not run; the reason is reported, with no figure.
    NotRun(String),
    /// One load run per [`CONCURRENCY`] level.
    Ran {
        /// (concurrency, result) in [`CONCURRENCY`] order: of the rounds,
        /// the one of median throughput.
        runs: Vec<(usize, load::Outcome)>,
        /// (concurrency, req/s of every round in the order run).
        rounds: Vec<(usize, Vec<f64>)>,
        /// Spawn to first successful readiness probe.
        startup: Duration,
    },
}

/// The soak of realizar.
#[derive(Debug)]
pub struct Soak {
    /// The load run.
    pub run: load::Outcome,
    /// RSS right before and right after, KiB.
    pub rss_before: u64,
    /// See `rss_before`.
    pub rss_after: u64,
    /// RSS just after start-up, KiB.
    pub rss_start: u64,
}

/// Everything one run measured, for the report.
#[derive(Debug)]
pub struct Results {
    /// Per target, in the order run.
    pub targets: Vec<(Target, Outcome)>,
    /// The soak, or why not.
    pub soak: std::result::Result<Soak, String>,
    /// Cold-start times, or why not.
    pub cold: std::result::Result<Vec<Duration>, String>,
    /// The settings used.
    pub settings: Settings,
    /// Environment lines (name, value).
    pub env: Vec<(String, String)>,
    /// The Python peers' package versions (JSON), when they were queried.
    pub peers: Option<serde_json::Value>,
    /// The logits and class of the request.
    pub expected: ([f64; 2], u32),
    /// /proc/loadavg before and after.
    pub loadavg: (String, String),
}

/// Durations in effect.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Measured window per run.
    pub duration: Duration,
    /// Warm-up per run.
    pub warmup: Duration,
    /// Soak length.
    pub soak: Duration,
    /// Cold-start repetitions.
    pub cold_starts: usize,
    /// Workers of the Python peers.
    pub workers: usize,
    /// Request body length in bytes.
    pub body_bytes: usize,
    /// Load-generator threads.
    pub client_threads: usize,
    /// Measurement rounds.
    pub rounds: usize,
}

/// Entry point: re-runs itself in release when built without optimisation.
pub fn run(args: &Args) -> Result<()> {
    if cfg!(debug_assertions) && std::env::var_os("BENCH_SERVE_UNOPTIMISED").is_none() {
        if args.targets.contains(&Target::Realizar) {
            crate::run(Command::new(env!("CARGO")).args([
                "build",
                "--release",
                "-p",
                "realizar",
                "--bin",
                "realizar",
            ]))?;
        }
        crate::run(Command::new(env!("CARGO")).args([
            "build",
            "--release",
            "-p",
            "xtask",
            "--bins",
        ]))?;
        let exe = target_dir().join("release/xtask");
        let status = Command::new(&exe)
            .args(std::env::args_os().skip(1))
            .current_dir(root())
            .status()
            .with_context(|| format!("run {}", exe.display()))?;
        if !status.success() {
            bail!("{} failed with {status}", exe.display());
        }
        return Ok(());
    }
    measure(args)
}

fn secs(s: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(s)
        .with_context(|| format!("{what}: {s} is not a duration in seconds"))
}

fn measure(args: &Args) -> Result<()> {
    server::stop_all_on_signal()?;
    let settings = Settings {
        duration: if args.quick {
            Duration::from_secs(2)
        } else {
            secs(args.duration, "--duration")?
        },
        warmup: if args.quick {
            Duration::from_millis(500)
        } else {
            secs(args.warmup, "--warmup")?
        },
        soak: secs(args.soak_secs, "--soak-secs")?,
        cold_starts: if args.quick {
            args.cold_starts.min(20)
        } else {
            args.cold_starts
        },
        workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
        body_bytes: model::request_body().len(),
        client_threads: usize::from(args.client_threads),
        rounds: if args.quick {
            1
        } else {
            usize::from(args.rounds)
        },
    };
    if settings.duration.is_zero() {
        bail!("--duration must be positive");
    }
    let work = target_dir().join("bench-serve");
    std::fs::create_dir_all(&work).with_context(|| format!("create {}", work.display()))?;
    let model_path = work.join("mnist-v1.safetensors");
    model::write(&model_path)?;
    let expected = model::expected();
    let load_before = loadavg();
    let peers = if args
        .targets
        .iter()
        .any(|t| matches!(t, Target::Fastapi | Target::Torchserve))
    {
        eprintln!(
            "bench-serve: preparing the Python peers (uv installs their dependencies on first use)"
        );
        Some(python_versions())
    } else {
        None
    };
    let mut soak = Err("not run: pass --soak".to_string());
    // Start and check every target, one at a time, pausing each.
    let mut slots: Vec<Slot> = Vec::new();
    for &t in &args.targets {
        eprintln!("bench-serve: starting {}", t.label());
        let state = match &peers {
            Some(Err(e)) if matches!(t, Target::Fastapi | Target::Torchserve) => Err(e.clone()),
            _ => prepare(t, &model_path, &work, settings.workers).map_err(|e| format!("{e:#}")),
        };
        if let Ok(l) = &state {
            l.server.pause();
        }
        slots.push(Slot {
            target: t,
            state,
            runs: Vec::new(),
        });
    }
    for round in 1..=settings.rounds {
        for slot in &mut slots {
            let Ok(live) = &slot.state else { continue };
            eprintln!(
                "bench-serve: round {round}/{}: {}",
                settings.rounds,
                slot.target.label()
            );
            live.server.resume();
            let measured = measure_levels(live, &settings);
            live.server.pause();
            match measured {
                Ok(runs) => slot.runs.push(runs),
                Err(e) => {
                    if let Ok(live) = std::mem::replace(&mut slot.state, Err(format!("{e:#}"))) {
                        live.stop();
                    }
                }
            }
        }
    }
    if args.soak
        && let Some(Ok(live)) = slots
            .iter()
            .find(|s| s.target == Target::Realizar)
            .map(|s| &s.state)
    {
        live.server.resume();
        soak = run_soak(live, &settings);
        live.server.pause();
    }
    let mut targets = Vec::new();
    for slot in slots {
        let outcome = match slot.state {
            Err(why) => {
                eprintln!("bench-serve: {} not run: {why}", slot.target.label());
                Outcome::NotRun(why)
            }
            Ok(live) => {
                let startup = live.startup;
                live.stop();
                median_round(slot.runs, startup)
            }
        };
        targets.push((slot.target, outcome));
    }
    if args.soak && !args.targets.contains(&Target::Realizar) {
        soak = Err("not run: realizar was not among the targets".into());
    }
    let cold = if settings.cold_starts == 0 {
        Err("not run: --cold-starts 0".to_string())
    } else if !args.targets.contains(&Target::Realizar) {
        Err("not run: realizar was not among the targets".to_string())
    } else {
        eprintln!("bench-serve: cold start x{}", settings.cold_starts);
        cold_start(&model_path, &work, settings.cold_starts).map_err(|e| format!("not run: {e:#}"))
    };
    let results = Results {
        targets,
        soak,
        cold,
        settings,
        env: environment(),
        peers: peers.and_then(Result::ok),
        expected,
        loadavg: (load_before, loadavg()),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root().join("comparative/SERVE_RESULTS.md"));
    report::write(&results, &out)?;
    eprintln!("bench-serve: wrote {}", out.display());
    Ok(())
}

fn realizar_exe() -> PathBuf {
    target_dir().join("release/realizar")
}

fn sibling_exe(name: &str) -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    Ok(me.with_file_name(name))
}

fn uv_script(args: &[&str]) -> Command {
    let mut c = Command::new("uv");
    c.args([
        "run",
        "--quiet",
        "--script",
        "comparative/serve_benchmark.py",
    ])
    .args(args)
    .current_dir(root());
    c
}

fn python_versions() -> std::result::Result<serde_json::Value, String> {
    let out = uv_script(&["versions"])
        .output()
        .map_err(|e| format!("cannot run uv (pip install uv): {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "`uv run --script comparative/serve_benchmark.py versions` failed: {}",
            err.lines().last().unwrap_or("(no output)")
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("peer versions are not JSON: {e}"))
}

fn start(t: Target, port: u16, model: &Path, work: &Path, workers: usize) -> Result<Server> {
    let m = model.to_string_lossy().into_owned();
    let log = work.join(format!("{t:?}.log").to_lowercase());
    let cmd = match t {
        Target::Realizar => {
            let exe = realizar_exe();
            if !exe.exists() {
                bail!(
                    "{} is missing (cargo build --release -p realizar)",
                    exe.display()
                );
            }
            let mut c = Command::new(exe);
            c.args([
                "serve",
                "--model",
                &format!("{}={m}", model::MODEL_ID),
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ]);
            c
        }
        Target::Floor => {
            let mut c = Command::new(sibling_exe("serve-floor")?);
            c.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
            c
        }
        Target::Fastapi => uv_script(&[
            "fastapi",
            "--model",
            &m,
            "--port",
            &port.to_string(),
            "--workers",
            &workers.to_string(),
        ]),
        Target::Torchserve => {
            let dir = work.join("torchserve");
            // Old logs would lend a past run's errors to this one.
            let _ = std::fs::remove_dir_all(dir.join("logs"));
            uv_script(&[
                "torchserve",
                "--model",
                &m,
                "--port",
                &port.to_string(),
                "--workers",
                &workers.to_string(),
                "--workdir",
                &dir.to_string_lossy(),
            ])
        }
    };
    Server::spawn(t.label(), cmd, &log)
}

/// The last line of a log naming an error (a Python exception).
fn last_error(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text.lines().rev().find(|l| l.contains("Error:"))?;
    Some(line.split(" - ").last().unwrap_or(line).trim().to_string())
}

fn median_us(ns: &[u64]) -> f64 {
    if ns.is_empty() {
        return f64::NAN;
    }
    let mut v = ns.to_vec();
    v.sort_unstable();
    v[v.len() / 2] as f64 / 1e3
}

/// Spawns realizar `n` times on a saved model and times start -> `/ready` 200.
///
/// The probe connects and, once a connection is accepted, sends
/// `GET /ready`, retrying every 100 µs; a run that is not ready within
/// 10 s is an error.
fn cold_start(model_path: &Path, work: &Path, n: usize) -> Result<Vec<Duration>> {
    let exe = realizar_exe();
    if !exe.exists() {
        bail!("{} is missing", exe.display());
    }
    let mut times = Vec::with_capacity(n);
    let log = work.join("cold-start.log");
    for _ in 0..n {
        let port = free_port(0)?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut cmd = Command::new(&exe);
        cmd.args([
            "serve",
            "--model",
            &format!("{}={}", model::MODEL_ID, model_path.display()),
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ]);
        let t0 = Instant::now();
        let mut server = Server::spawn("realizar", cmd, &log)?;
        let limit = Duration::from_secs(10);
        let ready = loop {
            if let Ok((200, _)) = http_once(addr, "GET", "/ready", b"", Duration::from_secs(1)) {
                break Ok(t0.elapsed());
            }
            if let Some(st) = server.exited() {
                break Err(anyhow::anyhow!(
                    "realizar exited with {st}: {}",
                    server.log_tail()
                ));
            }
            if t0.elapsed() > limit {
                break Err(anyhow::anyhow!(
                    "realizar not ready after 10 s: {}",
                    server.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_micros(100));
        };
        server.stop(Duration::ZERO);
        times.push(ready?);
    }
    Ok(times)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn command_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn environment() -> Vec<(String, String)> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown".into());
    vec![
        (
            "date (UTC)".into(),
            command_line("date", &["-u", "+%Y-%m-%d %H:%M"]),
        ),
        (
            "commit".into(),
            command_line(
                "git",
                &[
                    "-C",
                    &root().to_string_lossy(),
                    "rev-parse",
                    "--short",
                    "HEAD",
                ],
            ),
        ),
        ("CPU".into(), cpu),
        (
            "cores".into(),
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .to_string(),
        ),
        ("kernel".into(), command_line("uname", &["-sr"])),
        ("rustc".into(), command_line("rustc", &["--version"])),
    ]
}
