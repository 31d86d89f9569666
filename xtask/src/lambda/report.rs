//! `cargo xtask lambda-report`: runs the `measure` example of
//! realizar-lambda and a Python + PyTorch handler in the same harness, then
//! tabulates cold start, warm invocations, sizes, peak RSS and cost into
//! docs/src/lambda-report.md.

use super::*;
use serde_json::Value;
use std::time::Instant;

/// AWS Lambda prices used for the cost column: us-east-1, first tier, as
/// published on <https://aws.amazon.com/lambda/pricing/> (unchanged since
/// the move to 1 ms billing in December 2020; last checked by the author
/// in 2025).
const PRICE_AS_OF: &str =
    "2025 (us-east-1, first tier; unchanged since the December 2020 move to 1 ms billing)";
/// x86_64, USD per GB-second.
const PRICE_GB_S_X86: f64 = 0.000_016_666_7;
/// arm64, USD per GB-second.
const PRICE_GB_S_ARM: f64 = 0.000_013_333_4;
/// USD per million requests (both architectures).
const PRICE_PER_M_REQUESTS: f64 = 0.20;
/// Lambda's smallest memory setting, MB.
const MIN_MEMORY_MB: u64 = 128;

/// Builds the `measure` example (the bootstrap's profile: optimised, like what it
/// measures) and returns its path.
fn build_measure() -> Result<PathBuf> {
    crate::run(Command::new(env!("CARGO")).args([
        "build",
        "-p",
        "realizar-lambda",
        "--example",
        "measure",
        "--profile",
        PROFILE,
    ]))?;
    Ok(crate::target_dir().join(PROFILE).join("examples/measure"))
}

/// Runs `measure` on `function` (a command line) and parses its JSON.
fn measure(
    tool: &Path,
    spawns: usize,
    warm: usize,
    handler: usize,
    function: &[String],
    cwd: &Path,
) -> Result<Value> {
    let mut cmd = Command::new(tool);
    cmd.args(["--spawns", &spawns.to_string(), "--warm", &warm.to_string()])
        .args(["--handler", &handler.to_string(), "--"])
        .args(function)
        .current_dir(cwd);
    eprintln!("$ {cmd:?}");
    let out = cmd
        .output()
        .with_context(|| format!("cannot start {}", tool.display()))?;
    if !out.status.success() {
        bail!(
            "measure failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).context("measure's output is not JSON")
}

/// The nearest-rank `q`-quantile of `values` (`None` when empty).
fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

fn samples(doc: &Value, key: &str) -> Vec<f64> {
    doc[key]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// Cost in USD of a million requests of `billed_ms` each at `memory_mb`.
fn cost_per_million(billed_ms: f64, memory_mb: u64, price_gb_s: f64) -> f64 {
    1e6 * (billed_ms / 1e3) * (memory_mb as f64 / 1024.0) * price_gb_s + PRICE_PER_M_REQUESTS
}

/// Lambda bills duration rounded up to the millisecond.
fn billed_ms(ms: f64) -> f64 {
    ms.ceil().max(1.0)
}

/// The smallest memory setting that holds `peak_kib` with 10% headroom,
/// in steps of 64 MB from 128 MB.
fn memory_for(peak_kib: u64) -> u64 {
    let need_mb = (peak_kib as f64 * 1.1 / 1024.0).ceil() as u64;
    need_mb.max(MIN_MEMORY_MB).div_ceil(64) * 64
}

fn shell(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!(
        "{cpu}, {cores} logical CPUs, Linux {} ({}), load average at start {load}",
        shell("uname", &["-r"]),
        std::env::consts::ARCH
    )
}

/// Figures of one function.
#[derive(Debug, Default)]
struct Figures {
    cold: Vec<f64>,
    init: Vec<f64>,
    warm: Vec<f64>,
    rss_kib: u64,
    handler: Option<Value>,
}

impl Figures {
    fn from(doc: &Value) -> Self {
        Self {
            cold: samples(doc, "cold_start_ms"),
            init: samples(doc, "init_ms"),
            warm: samples(doc, "warm_ms"),
            rss_kib: doc["peak_rss_kib_cold"]
                .as_u64()
                .unwrap_or(0)
                .max(doc["peak_rss_kib_warm"].as_u64().unwrap_or(0)),
            handler: doc.get("handler").filter(|h| !h.is_null()).cloned(),
        }
    }
}

/// The Python + PyTorch peer's environment and figures.
#[derive(Debug)]
struct Python {
    info: Value,
    import_torch_ms: f64,
    bare_python_ms: f64,
    figures: Figures,
}

fn median_wall_ms(runs: usize, mut make: impl FnMut() -> Command) -> Result<f64> {
    let mut v = Vec::new();
    for _ in 0..runs {
        let mut c = make();
        let t = Instant::now();
        let out = c.output().context("run python")?;
        if !out.status.success() {
            bail!("{c:?}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        v.push(t.elapsed().as_secs_f64() * 1e3);
    }
    quantile(&v, 0.5).context("no runs")
}

fn python_peer(args: &ReportArgs, tool: &Path) -> Result<Python> {
    let dir = crate::root().join("comparative/peers/lambda_pytorch");
    let out = Command::new("uv")
        .args(["run", "--script", "info.py"])
        .current_dir(&dir)
        .output()
        .context("the Python peer needs uv (pip install uv)")?;
    if !out.status.success() {
        bail!(
            "uv run --script info.py failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let info: Value = serde_json::from_slice(&out.stdout).context("info.py output")?;
    let python = info["python"]
        .as_str()
        .context("info.py names no interpreter")?
        .to_string();
    let import_torch_ms = median_wall_ms(5, || {
        let mut c = Command::new(&python);
        c.args(["-c", "import torch"]);
        c
    })?;
    let bare_python_ms = median_wall_ms(5, || {
        let mut c = Command::new(&python);
        c.args(["-c", "pass"]);
        c
    })?;
    let function = vec![
        python.clone(),
        "-m".into(),
        "awslambdaric".into(),
        "handler.handler".into(),
    ];
    let doc = measure(
        tool,
        args.python_spawns,
        args.python_warm,
        0,
        &function,
        &dir,
    )?;
    Ok(Python {
        info,
        import_torch_ms,
        bare_python_ms,
        figures: Figures::from(&doc),
    })
}

/// `cargo xtask lambda-report`.
pub fn report(args: &ReportArgs) -> Result<()> {
    let machine = machine();
    let date = shell("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let built = build(&BuildArgs {
        arm64: false,
        opt_level: None,
        model: None,
    })?;
    let tool = build_measure()?;
    let root = crate::root();
    let rust_doc = measure(
        &tool,
        args.spawns,
        args.warm,
        20_000,
        &[built.binary.display().to_string()],
        &root,
    )?;
    let rust = Figures::from(&rust_doc);
    let opt_s = if args.compare_opt_s {
        let b = build(&BuildArgs {
            arm64: false,
            opt_level: Some("s".into()),
            model: None,
        })?;
        let doc = measure(
            &tool,
            args.spawns,
            args.warm,
            0,
            &[b.binary.display().to_string()],
            &root,
        )?;
        Some((b, Figures::from(&doc)))
    } else {
        None
    };
    let python = if args.no_python {
        None
    } else {
        Some(python_peer(args, &tool)?)
    };
    let text = render(&Render {
        date: &date,
        machine: &machine,
        args,
        built: &built,
        rust: &rust,
        opt_s: opt_s.as_ref(),
        python: python.as_ref(),
    })?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("docs/src/lambda-report.md"));
    std::fs::write(&out, text).with_context(|| format!("write {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}

struct Render<'a> {
    date: &'a str,
    machine: &'a str,
    args: &'a ReportArgs,
    built: &'a Built,
    rust: &'a Figures,
    opt_s: Option<&'a (Built, Figures)>,
    python: Option<&'a Python>,
}

fn fmt_ms(v: Option<f64>) -> String {
    match v {
        Some(ms) if ms < 1.0 => format!("{:.0} µs", ms * 1e3),
        Some(ms) => format!("{ms:.1} ms"),
        None => "—".into(),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn render(r: &Render<'_>) -> Result<String> {
    use std::fmt::Write as _;
    let mut s = String::new();
    let bin = file_len(&r.built.binary)?;
    let zip = file_len(&r.built.zip)?;
    let rust = r.rust;
    let cold50 = quantile(&rust.cold, 0.5);
    let handler_field = |encoding: &str, key: &str| {
        rust.handler
            .as_ref()
            .and_then(|h| h[encoding][key].as_f64())
    };
    let overhead_ns = handler_field("f32_text", "overhead_ns_p50");
    let overhead_f64_ns = handler_field("f64_text", "overhead_ns_p50");
    let rust_mem = memory_for(rust.rss_kib).max(MIN_MEMORY_MB);
    let rust_billed = billed_ms(quantile(&rust.warm, 0.5).unwrap_or(1.0));

    writeln!(s, "# Lambda report (generated)\n")?;
    writeln!(
        s,
        "Generated by `cargo xtask lambda-report` on {} on {}. \
         Every figure below was measured in that run; rerun the command to refresh. \
         Cold start is the time from `spawn` of the function process to the \
         first answer arriving at a local mock of the Lambda Runtime API \
         (`realizar_lambda::mock`, the documented protocol over HTTP on 127.0.0.1), \
         with the event already queued: process start, runtime and model init, \
         one `GET /invocation/next`, the handler, one `POST /response`. Lambda's \
         own sandbox creation and code download are not in it. Warm invocation is \
         event queued -> answer received on a running process, so it includes two \
         HTTP exchanges on loopback.\n",
        r.date, r.machine
    )?;
    writeln!(
        s,
        "Runs: {} cold spawns and {} warm invocations of the realizar bootstrap{}.\n",
        r.args.spawns,
        r.args.warm,
        r.python.map_or(String::new(), |_| format!(
            "; {} cold spawns and {} warm invocations of the Python peer",
            r.args.python_spawns, r.args.python_warm
        ))
    )?;

    writeln!(s, "## realizar bootstrap beside Python + PyTorch\n")?;
    writeln!(s, "| | realizar `bootstrap` (Rust) | Python + PyTorch |")?;
    writeln!(s, "|---|---|---|")?;
    let py = r.python;
    let pyf = py.map(|p| &p.figures);
    let pkgs = |name: &str| {
        py.and_then(|p| p.info["packages"][name].as_str().map(str::to_string))
            .unwrap_or_else(|| "?".into())
    };
    let pyv = py.map_or("—".to_string(), |p| {
        format!(
            "python {} + torch {} + awslambdaric {} (`python -m awslambdaric handler.handler`)",
            p.info["python_version"].as_str().unwrap_or("?"),
            pkgs("torch"),
            pkgs("awslambdaric")
        )
    });
    let row =
        |s: &mut String, what: &str, a: String, b: String| writeln!(s, "| {what} | {a} | {b} |");
    row(
        &mut s,
        "runtime",
        format!("`provided.al2023`, {}, profile `{PROFILE}`", r.built.arch),
        pyv,
    )?;
    row(
        &mut s,
        "deployment size on disk",
        format!("{} (stripped binary, model inside)", human_bytes(bin)),
        py.map_or("—".into(), |p| {
            format!(
                "torch alone {}; all of site-packages {} (PyPI's x86_64 torch wheel is the CUDA build: the nvidia-* packages are most of it)",
                human_bytes(p.info["torch_bytes"].as_u64().unwrap_or(0)),
                human_bytes(p.info["site_packages_bytes"].as_u64().unwrap_or(0))
            )
        }),
    )?;
    row(
        &mut s,
        "zip",
        human_bytes(zip),
        py.map_or("—".into(), |_| {
            "not built: over Lambda's 250 MB unzipped limit, so a container image".into()
        }),
    )?;
    row(
        &mut s,
        "`python -c \"import torch\"` (median of 5, wall)",
        "—".into(),
        py.map_or("—".into(), |p| {
            format!(
                "{} (bare `python -c pass`: {})",
                fmt_ms(Some(p.import_torch_ms)),
                fmt_ms(Some(p.bare_python_ms))
            )
        }),
    )?;
    for (label, q) in [("p50", 0.5), ("p90", 0.9)] {
        row(
            &mut s,
            &format!("cold start {label} (spawn -> first answer)"),
            fmt_ms(quantile(&rust.cold, q)),
            fmt_ms(pyf.and_then(|f| quantile(&f.cold, q))),
        )?;
    }
    row(
        &mut s,
        "init p50 (spawn -> first `GET /next`)",
        fmt_ms(quantile(&rust.init, 0.5)),
        fmt_ms(pyf.and_then(|f| quantile(&f.init, 0.5))),
    )?;
    for (label, q) in [("p50", 0.5), ("p99", 0.99)] {
        row(
            &mut s,
            &format!("warm invocation {label} (queued -> answer)"),
            fmt_ms(quantile(&rust.warm, q)),
            fmt_ms(pyf.and_then(|f| quantile(&f.warm, q))),
        )?;
    }
    for (encoding, what) in [
        ("f32_text", "784 features as shortest f32 text"),
        ("f64_text", "the same as 17-digit f64 text"),
    ] {
        let f = |key| handler_field(encoding, key);
        row(
            &mut s,
            &format!(
                "handler alone, in process, p50 of 20000 ({what}, {} bytes): `handle_event` / `api::predict` / difference",
                rust.handler
                    .as_ref()
                    .and_then(|h| h[encoding]["event_bytes"].as_u64())
                    .unwrap_or(0)
            ),
            match (
                f("handle_event_ns_p50"),
                f("predict_ns_p50"),
                f("overhead_ns_p50"),
            ) {
                (Some(h), Some(p), Some(o)) => {
                    format!("{:.1} µs / {:.1} µs / {:.1} µs", h / 1e3, p / 1e3, o / 1e3)
                }
                _ => "—".into(),
            },
            "—".into(),
        )?;
    }
    row(
        &mut s,
        "peak RSS (VmHWM)",
        format!("{:.1} MB", rust.rss_kib as f64 / 1024.0),
        pyf.map_or("—".into(), |f| {
            format!("{:.1} MB", f.rss_kib as f64 / 1024.0)
        }),
    )?;
    let py_mem = pyf.map(|f| memory_for(f.rss_kib));
    row(
        &mut s,
        "memory setting priced (smallest 64 MB step >= peak RSS + 10%, at least 128 MB)",
        format!("{rust_mem} MB"),
        py_mem.map_or("—".into(), |m| format!("{m} MB")),
    )?;
    let py_billed = pyf.and_then(|f| quantile(&f.warm, 0.5)).map(billed_ms);
    row(
        &mut s,
        "billed duration per warm request (p50, rounded up to 1 ms)",
        format!("{rust_billed:.0} ms"),
        py_billed.map_or("—".into(), |b| format!("{b:.0} ms")),
    )?;
    for (arch, price) in [("x86_64", PRICE_GB_S_X86), ("arm64", PRICE_GB_S_ARM)] {
        row(
            &mut s,
            &format!("cost per 1M warm requests, {arch} prices"),
            format!("${:.4}", cost_per_million(rust_billed, rust_mem, price)),
            match (py_billed, py_mem) {
                (Some(b), Some(m)) => format!("${:.4}", cost_per_million(b, m, price)),
                _ => "—".into(),
            },
        )?;
    }
    writeln!(
        s,
        "\nPrices as of {PRICE_AS_OF}, from aws.amazon.com/lambda/pricing: x86_64 \
         ${PRICE_GB_S_X86} per GB-second, arm64 ${PRICE_GB_S_ARM} per GB-second, \
         ${PRICE_PER_M_REQUESTS:.2} per million requests. Cost = requests × billed \
         seconds × GB × price + request charge. The arm64 line prices the x86_64 \
         durations (the arm64 build is not run here). Durations are this machine's: \
         a 128 MB function gets a fraction of a vCPU (a full one at 1769 MB), so on \
         Lambda they are longer; init time is billed too and is not in the \
         per-request cost above.\n"
    )?;

    writeln!(s, "## Acceptance\n")?;
    writeln!(s, "| target | measured | |")?;
    writeln!(s, "|---|---|---|")?;
    writeln!(
        s,
        "| cold start p50 < 10 ms | {} | {} |",
        fmt_ms(cold50),
        verdict(cold50.is_some_and(|c| c < 10.0))
    )?;
    for (what, o) in [("f32 text", overhead_ns), ("f64 text", overhead_f64_ns)] {
        writeln!(
            s,
            "| handler adds < 50 µs to the inference ({what}) | {} | {} |",
            o.map_or("—".into(), |o| format!("{:.1} µs", o / 1e3)),
            verdict(o.is_some_and(|o| o < 50_000.0))
        )?;
    }
    writeln!(
        s,
        "| stripped bootstrap <= 5 MB | {} | {} |",
        human_bytes(bin),
        verdict(bin <= 5_000_000)
    )?;
    writeln!(
        s,
        "| peak RSS <= 20 MB | {:.1} MB | {} |",
        rust.rss_kib as f64 / 1024.0,
        verdict(rust.rss_kib <= 20 * 1024)
    )?;

    if let Some((b, f)) = r.opt_s {
        writeln!(s, "\n## opt-level 3 against \"s\"\n")?;
        writeln!(
            s,
            "| opt-level | binary | zip | cold start p50 | warm p50 |\n|---|---|---|---|---|"
        )?;
        writeln!(
            s,
            "| 3 (profile `{PROFILE}`) | {} | {} | {} | {} |",
            human_bytes(bin),
            human_bytes(zip),
            fmt_ms(cold50),
            fmt_ms(quantile(&rust.warm, 0.5))
        )?;
        writeln!(
            s,
            "| s | {} | {} | {} | {} |",
            human_bytes(file_len(&b.binary)?),
            human_bytes(file_len(&b.zip)?),
            fmt_ms(quantile(&f.cold, 0.5)),
            fmt_ms(quantile(&f.warm, 0.5))
        )?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert_eq!(quantile(&v, 0.99), Some(5.0));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn cost_follows_the_published_formula() {
        // 1 ms at 128 MB: 1e6 * 0.001 s * 0.125 GB * price + $0.20.
        let c = cost_per_million(1.0, 128, PRICE_GB_S_X86);
        assert!(
            (c - (0.20 + 0.125 * PRICE_GB_S_X86 * 1e3)).abs() < 1e-9,
            "{c}"
        );
        assert_eq!(billed_ms(0.12), 1.0);
        assert_eq!(billed_ms(3.2), 4.0);
    }

    #[test]
    fn memory_covers_the_peak_with_headroom() {
        assert_eq!(memory_for(10 * 1024), 128);
        assert_eq!(memory_for(300 * 1024), 384);
    }
}
