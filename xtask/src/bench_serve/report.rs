//! comparative/SERVE_RESULTS.md and its charts (realizar-viz SVG).

use super::{CONCURRENCY, Outcome, Results, Target};
use anyhow::{Context, Result};
use realizar_stats::Summary;
use realizar_viz::{BenchmarkData, svg_comparison, svg_histogram};
use std::fmt::Write as _;
use std::path::Path;

/// Acceptance thresholds of the serving issue.
const P50_LIMIT_US: f64 = 50.0;
const FLOOR_RATIO_LIMIT: f64 = 1.5;
const PEER_RATIO_MIN: f64 = 20.0;
const RSS_GROWTH_LIMIT: f64 = 0.05;
const COLD_LIMIT_MS: f64 = 10.0;
/// A load average above this (on 2 cores) marks the run as contended.
const BUSY_LOAD: f64 = 0.5;

fn us(ns: &[u64]) -> Vec<f64> {
    ns.iter().map(|&n| n as f64 / 1e3).collect()
}

fn fmt_us(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} ms", v / 1e3)
    } else if v >= 1_000.0 {
        format!("{:.2} ms", v / 1e3)
    } else {
        format!("{v:.1} µs")
    }
}

fn fmt_rate(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Per target and concurrency: (p50 µs, p99 µs, req/s, failed).
#[derive(Debug, Clone, Copy)]
struct Cell {
    p50: f64,
    p99: f64,
    rate: f64,
}

fn cell(r: &Results, t: Target, c: usize) -> Option<Cell> {
    let (_, o) = r.targets.iter().find(|(x, _)| *x == t)?;
    let Outcome::Ran { runs, .. } = o else {
        return None;
    };
    let (_, run) = runs.iter().find(|(x, _)| *x == c)?;
    let s = Summary::new(&us(&run.latencies_ns)).ok()?;
    Some(Cell {
        p50: s.p50,
        p99: s.p99,
        rate: run.throughput(),
    })
}

fn verdict(ok: bool) -> &'static str {
    if ok { "**pass**" } else { "**FAIL**" }
}

/// Writes the report to `path` and the charts to `serve_charts/` beside it.
pub fn write(r: &Results, path: &Path) -> Result<()> {
    let dir = path.parent().context("the report path has no folder")?;
    let charts = dir.join("serve_charts");
    std::fs::create_dir_all(&charts).with_context(|| format!("create {}", charts.display()))?;
    let chart_files = write_charts(r, &charts)?;
    let md = render(r, &chart_files);
    std::fs::write(path, md).with_context(|| format!("write {}", path.display()))
}

fn write_charts(r: &Results, charts: &Path) -> Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    let mut save = |name: &str, caption: String, svg: String| -> Result<()> {
        let p = charts.join(name);
        std::fs::write(&p, svg).with_context(|| format!("write {}", p.display()))?;
        files.push((format!("serve_charts/{name}"), caption));
        Ok(())
    };
    let ran: Vec<(Target, &Vec<(usize, super::load::Outcome)>)> = r
        .targets
        .iter()
        .filter_map(|(t, o)| match o {
            Outcome::Ran { runs, .. } => Some((*t, runs)),
            Outcome::NotRun(_) => None,
        })
        .collect();
    let at = |runs: &Vec<(usize, super::load::Outcome)>, c: usize| {
        runs.iter().find(|(x, _)| *x == c).map(|(_, o)| o.clone())
    };
    let c1: Vec<BenchmarkData> = ran
        .iter()
        .filter_map(|(t, runs)| BenchmarkData::new(t.label(), us(&at(runs, 1)?.latencies_ns)).ok())
        .collect();
    if !c1.is_empty() {
        save(
            "latency_c1.svg",
            "Mean latency per request at concurrency 1, with the 95% interval of the mean".into(),
            svg_comparison(&c1)?,
        )?;
    }
    for (t, runs) in &ran {
        if !matches!(t, Target::Realizar | Target::Floor) {
            continue;
        }
        let Some(o) = at(runs, 1) else { continue };
        let mut v = us(&o.latencies_ns);
        let Ok(s) = Summary::new(&v) else { continue };
        let cut = s.p99;
        v.retain(|x| *x <= cut);
        let slug = if *t == Target::Realizar {
            "realizar"
        } else {
            "floor"
        };
        if let Ok(d) = BenchmarkData::new(format!("{} c=1 (to p99)", t.label()), v) {
            save(
                &format!("histogram_c1_{slug}.svg"),
                format!(
                    "{} latency histogram at concurrency 1 (samples up to p99; the tail is in the table)",
                    t.label()
                ),
                svg_histogram(&d, 40),
            )?;
        }
    }
    for c in [16, 64] {
        let data: Vec<BenchmarkData> = ran
            .iter()
            .filter_map(|(t, runs)| {
                let o = at(runs, c)?;
                let per_req: Vec<f64> = o
                    .per_second
                    .iter()
                    .filter(|&&n| n > 0)
                    .map(|&n| 1e6 / n as f64)
                    .collect();
                BenchmarkData::new(format!("{} c={c}", t.label()), per_req).ok()
            })
            .collect();
        if !data.is_empty() {
            save(
                &format!("throughput_c{c}.svg"),
                format!(
                    "Concurrency {c}: time per request = 1 / throughput, one sample per second of the window (shorter is better)"
                ),
                svg_comparison(&data)?,
            )?;
        }
    }
    Ok(files)
}

fn ratio_row(
    out: &mut String,
    what: &str,
    limit: &str,
    value: Option<f64>,
    ok: impl Fn(f64) -> bool,
) {
    let _ = match value {
        Some(v) if v.is_finite() => {
            writeln!(out, "| {what} | {limit} | {v:.2} | {} |", verdict(ok(v)))
        }
        _ => writeln!(out, "| {what} | {limit} | — | not measured |"),
    };
}

fn render(r: &Results, charts: &[(String, String)]) -> String {
    let s = &r.settings;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Serving benchmark: realizar, a hyper floor, FastAPI + PyTorch, TorchServe\n"
    );
    let _ = writeln!(
        o,
        "Written by `cargo xtask bench-serve` (xtask/src/bench_serve.rs); do not edit by hand. \
         Regenerate with `cargo xtask bench-serve [--duration SECS] [--quick] [--soak]`.\n"
    );
    let busy = |l: &str| {
        l.split_whitespace()
            .next()
            .and_then(|x| x.parse::<f64>().ok())
            .is_some_and(|x| x > BUSY_LOAD)
    };
    if busy(&r.loadavg.0) || busy(&r.loadavg.1) {
        let _ = writeln!(
            o,
            "> **Load caveat.** Other processes were busy during this run (load average {} before, {} after, on {} cores). \
             The figures are indicative only; the ratios, measured in the same run, are more robust than the absolute numbers. \
             Rerun on an idle machine for figures to quote.\n",
            r.loadavg.0, r.loadavg.1, s.workers
        );
    } else {
        let _ = writeln!(
            o,
            "Load average {} before, {} after the run.\n",
            r.loadavg.0, r.loadavg.1
        );
    }

    let _ = writeln!(o, "## Results\n");
    let _ = writeln!(
        o,
        "{} s measured per cell after {} s of warm-up; latency is send to last byte of the response, seen by the Rust client.\n",
        s.duration.as_secs_f64(),
        s.warmup.as_secs_f64()
    );
    let _ = writeln!(
        o,
        "| target | p50 c=1 | p99 c=1 | req/s c=1 | req/s c=16 | req/s c=64 | failed | start-up |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for (t, out) in &r.targets {
        match out {
            Outcome::NotRun(why) => {
                let mut why = why.replace('|', "/").replace('\n', " ");
                if why.chars().count() > 300 {
                    why = why.chars().take(300).collect::<String>() + " …";
                }
                let _ = writeln!(o, "| {} | not run: {why} | | | | | | |", t.label());
            }
            Outcome::Ran { runs, startup, .. } => {
                let c1 = cell(r, *t, 1);
                let rate = |c| cell(r, *t, c).map_or("—".into(), |x| fmt_rate(x.rate));
                let failed: u64 = runs.iter().map(|(_, x)| x.failed()).sum();
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {failed} | {:.2} s |",
                    t.label(),
                    c1.map_or("—".into(), |x| fmt_us(x.p50)),
                    c1.map_or("—".into(), |x| fmt_us(x.p99)),
                    rate(1),
                    rate(16),
                    rate(64),
                    startup.as_secs_f64()
                );
            }
        }
    }
    let round_lines: Vec<String> = r
        .targets
        .iter()
        .filter_map(|(t, out)| match out {
            Outcome::Ran { rounds, .. } if rounds.iter().any(|(_, v)| v.len() > 1) => {
                Some(format!(
                    "{}: {}",
                    t.label(),
                    rounds
                        .iter()
                        .map(|(c, v)| format!(
                            "c={c} {}",
                            v.iter()
                                .map(|x| fmt_rate(*x))
                                .collect::<Vec<_>>()
                                .join(" / ")
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                ))
            }
            _ => None,
        })
        .collect();
    if !round_lines.is_empty() {
        let _ = writeln!(o, "\nreq/s of every round, in the order run:\n");
        for l in round_lines {
            let _ = writeln!(o, "- {l}");
        }
    }
    let failures: Vec<String> = r
        .targets
        .iter()
        .flat_map(|(t, out)| match out {
            Outcome::Ran { runs, .. } => runs
                .iter()
                .flat_map(|(c, x)| {
                    x.failures
                        .iter()
                        .map(move |(k, n)| format!("{} c={c}: {n} × {k}", t.label()))
                })
                .collect(),
            Outcome::NotRun(_) => Vec::new(),
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(
            o,
            "\nFailures by kind (whole run, warm-up included): {}.",
            failures.join("; ")
        );
    }

    let _ = writeln!(o, "\n## Acceptance (all measured in this run)\n");
    let _ = writeln!(o, "| check | required | measured | verdict |");
    let _ = writeln!(o, "|---|---|---:|---|");
    let real = cell(r, Target::Realizar, 1);
    match real {
        Some(c) => {
            let _ = writeln!(
                o,
                "| realizar p50 at c=1 | ≤ {P50_LIMIT_US} µs | {} | {} |",
                fmt_us(c.p50),
                verdict(c.p50 <= P50_LIMIT_US)
            );
        }
        None => {
            let _ = writeln!(
                o,
                "| realizar p50 at c=1 | ≤ {P50_LIMIT_US} µs | — | not measured |"
            );
        }
    }
    let floor = cell(r, Target::Floor, 1);
    ratio_row(
        &mut o,
        "realizar p50 / floor p50 at c=1",
        &format!("≤ {FLOOR_RATIO_LIMIT}"),
        real.zip(floor).map(|(a, b)| a.p50 / b.p50),
        |v| v <= FLOOR_RATIO_LIMIT,
    );
    for peer in [Target::Fastapi, Target::Torchserve] {
        for c in [16, 64] {
            ratio_row(
                &mut o,
                &format!("realizar / {} req/s at c={c}", peer.label()),
                &format!("≥ {PEER_RATIO_MIN}"),
                cell(r, Target::Realizar, c)
                    .zip(cell(r, peer, c))
                    .map(|(a, b)| a.rate / b.rate),
                |v| v >= PEER_RATIO_MIN,
            );
        }
    }
    for c in [16, 64] {
        let floor = cell(r, Target::Floor, c);
        let real = cell(r, Target::Realizar, c);
        for peer in [Target::Fastapi, Target::Torchserve] {
            if let (Some(f), Some(p)) = (floor, cell(r, peer, c)) {
                let _ = writeln!(
                    o,
                    "| context: floor / {} req/s at c={c} (the most any server on this HTTP + JSON path could reach) | — | {:.2} | — |",
                    peer.label(),
                    f.rate / p.rate
                );
            }
        }
        if let (Some(a), Some(f)) = (real, floor) {
            let _ = writeln!(
                o,
                "| context: realizar / floor req/s at c={c} | — | {:.2} | — |",
                a.rate / f.rate
            );
        }
    }
    match &r.soak {
        Ok(k) => {
            let growth = (k.rss_after as f64 - k.rss_before as f64) / k.rss_before as f64;
            let _ = writeln!(
                o,
                "| soak ({:.0} s, c=64): failed requests | 0 | {} | {} |",
                s.soak.as_secs_f64(),
                k.run.failed(),
                verdict(k.run.failed() == 0)
            );
            let _ = writeln!(
                o,
                "| soak: RSS growth | < {:.0}% | {:+.2}% | {} |",
                RSS_GROWTH_LIMIT * 100.0,
                growth * 100.0,
                verdict(growth < RSS_GROWTH_LIMIT)
            );
        }
        Err(why) => {
            let _ = writeln!(
                o,
                "| soak (60 s, c=64): failures, RSS growth | 0, < 5% | — | {why} |"
            );
        }
    }
    let cold_p50 = r.cold.as_ref().ok().and_then(|v| {
        let ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        Summary::new(&ms).ok()
    });
    match (&r.cold, &cold_p50) {
        (Ok(v), Some(c)) => {
            let _ = writeln!(
                o,
                "| cold start p50 (spawn → /ready 200, {} runs) | < {COLD_LIMIT_MS} ms | {:.2} ms | {} |",
                v.len(),
                c.p50,
                verdict(c.p50 < COLD_LIMIT_MS)
            );
        }
        (Err(why), _) => {
            let _ = writeln!(o, "| cold start p50 | < {COLD_LIMIT_MS} ms | — | {why} |");
        }
        (Ok(_), None) => {
            let _ = writeln!(
                o,
                "| cold start p50 | < {COLD_LIMIT_MS} ms | — | too few runs |"
            );
        }
    }

    let _ = writeln!(o, "\n## Soak\n");
    match &r.soak {
        Ok(k) => {
            let _ = writeln!(
                o,
                "realizar at concurrency 64 for {:.0} s right after the table's runs, same process: {} requests answered ({} req/s), {} failed. \
                 RSS (VmRSS of the server process): {} KiB after start-up, {} KiB before the soak, {} KiB after.",
                s.soak.as_secs_f64(),
                k.run.latencies_ns.len(),
                fmt_rate(k.run.throughput()),
                k.run.failed(),
                k.rss_start,
                k.rss_before,
                k.rss_after
            );
            if !k.run.failures.is_empty() {
                let kinds: Vec<String> = k
                    .run
                    .failures
                    .iter()
                    .map(|(k, n)| format!("{n} × {k}"))
                    .collect();
                let _ = writeln!(o, "\nFailures: {}.", kinds.join("; "));
            }
        }
        Err(why) => {
            let _ = writeln!(o, "{why}.");
        }
    }

    let _ = writeln!(o, "\n## Cold start\n");
    match (&r.cold, &cold_p50) {
        (Ok(v), Some(c)) => {
            let _ = writeln!(
                o,
                "`realizar serve --model mnist-v1=<saved safetensors file>` spawned {} times; each time from just before `spawn` to the first \
                 `GET /ready` answered 200 (the probe connects and asks again every 100 µs until then): \
                 p50 {:.2} ms, p90 {:.2} ms, min {:.2} ms, max {:.2} ms.",
                v.len(),
                c.p50,
                c.percentile(90.0).unwrap_or(f64::NAN),
                c.min,
                c.max
            );
        }
        (Err(why), _) => {
            let _ = writeln!(o, "{why}.");
        }
        (Ok(_), None) => {
            let _ = writeln!(o, "Too few runs for a summary.");
        }
    }

    if !charts.is_empty() {
        let _ = writeln!(o, "\n## Charts\n");
        for (file, caption) in charts {
            let _ = writeln!(o, "{caption}:\n\n![{caption}]({file})\n");
        }
    }

    let _ = writeln!(o, "## Method\n");
    let (logits, class) = r.expected;
    let _ = writeln!(
        o,
        "- **Model and request.** Every target loads the same file: a 784 → 2 softmax regression in realizar's safetensors layout \
         (\"weight\" [2, 784] f32, \"bias\" [2] f32, `realizar.*` metadata), fixed deterministic weights written by the benchmark. \
         Every request is the same {} bytes of JSON: `{{\"model_id\":\"mnist-v1\",\"features\":[784 floats]}}`, the features being sample 1 \
         of the synthetic data set, `pixel(i, j) = ((i*17 + j*31) mod 256) / 255`. Before its load, each target's answer is checked: \
         class {class} (logits {:.4}, {:.4}); the floor answers a constant.",
        s.body_bytes, logits[0], logits[1]
    );
    let _ = writeln!(
        o,
        "- **Load generator.** xtask (release build), a lean HTTP/1.1 client of its own (as wrk: the request serialized once and written whole, \
         a minimal response parser, one reused read buffer per connection), one keep-alive TCP connection per unit of concurrency, \
         each a closed loop (next request when the previous response is read in full), on {} thread(s). Levels {:?}; \
         each level {} s of warm-up (not counted) then {} s measured. Latency: from send to the last byte of the body. \
         Failures (connect, I/O, timeout after 10 s, non-2xx, malformed HTTP, a body without `\"prediction\"`) are counted by kind.",
        s.client_threads,
        CONCURRENCY,
        s.warmup.as_secs_f64(),
        s.duration.as_secs_f64()
    );
    let _ = writeln!(
        o,
        "- **CPU sharing.** This machine has {} cores; the server and the load generator share them. One rule for every target: \
         nothing is pinned; the load generator runs on {} thread(s) (one by default, so every server always has at least one core for itself). \
         All targets are started and checked first, then paused (SIGSTOP on the process group: a paused server takes no CPU); \
         the measurement runs in {} round(s), in each of which every target in turn is resumed, measured at each level and paused again, \
         so that the VM's drifting speed falls on all targets alike. Each cell of the table is the round of median throughput at that level \
         (its latencies come from that same window); every round's throughput is listed below the table, failures are summed over all rounds.",
        s.workers, s.client_threads, s.rounds
    );
    let _ = writeln!(
        o,
        "- **realizar**: `target/release/realizar serve --model mnist-v1=<file> --host 127.0.0.1 --port <free port>` (release profile: fat LTO), `POST /predict`."
    );
    let _ = writeln!(
        o,
        "- **floor (hyper)**: `xtask/src/bin/serve_floor.rs`, hyper 1 on a multi-threaded tokio runtime (one worker per core), parses the body into a struct with a `Vec<f32>` \
         and returns a constant JSON document: the cost of HTTP + JSON parsing alone, `POST /predict`."
    );
    let _ = writeln!(
        o,
        "- **FastAPI+PyTorch**: `comparative/peers/serve_fastapi.py` under uvicorn with {} worker processes (= cores), each with `torch.set_num_threads(1)`; \
         pydantic parses the body, `torch.addmv` + argmax answer; `uvicorn[standard]` (uvloop + httptools; plain uvicorn with several workers leaves Nagle on and adds ~40 ms per keep-alive response); `POST /predict`, same JSON in and out.",
        s.workers
    );
    let _ = writeln!(
        o,
        "- **TorchServe**: custom handler `comparative/peers/torchserve/handler.py` (same weights, one torch thread per worker), archive built by torch-model-archiver \
         (`build_archive.py`), started with `torchserve --start --foreground --ncs --disable-token-auth` and `config.properties` with \
         `default_workers_per_model={}` (= cores), `batch_size=1`. Request: `POST /predictions/mnist-v1` with the same JSON body \
         (TorchServe hands the handler the parsed object); the answer has realizar's fields.",
        s.workers
    );
    let _ = writeln!(
        o,
        "- **Soak**: after the table's runs, on the same realizar process, concurrency 64 with no warm-up; RSS is VmRSS from `/proc/<pid>/status` right before and right after."
    );
    let _ = writeln!(
        o,
        "- **Cold start**: a new process per run on a saved safetensors model (not `--demo`), a free port each time, killed after it answered."
    );

    let _ = writeln!(o, "\n## Environment\n");
    let _ = writeln!(o, "| | |\n|---|---|");
    for (k, v) in &r.env {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    if let Some(p) = &r.peers
        && let Some(map) = p.as_object()
    {
        for (k, v) in map {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            let _ = writeln!(o, "| {k} | {v} |");
        }
    }
    o
}
