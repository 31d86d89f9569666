//! The pieces of a measurement in rounds: a target started and checked
//! ([`prepare`] -> [`Live`]), one round of its levels ([`measure_levels`]),
//! the soak ([`run_soak`]) and the choice of the median round
//! ([`median_round`]). `measure` in the parent module runs them.

use super::server::{Server, free_port, http_once, prediction, rss_kib};
use super::{
    CONCURRENCY, Outcome, Settings, Soak, Target, last_error, load, median_us, model, start,
    uv_script,
};
use anyhow::{Result, bail};
use hyper::body::Bytes;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

/// A target being measured: its server, address and start-up time.
pub(super) struct Live {
    pub target: Target,
    pub server: Server,
    addr: SocketAddr,
    pub startup: Duration,
    rss_start: u64,
}

impl Live {
    pub fn stop(self) {
        self.server.stop(Duration::from_secs(5));
        if self.target == Target::Torchserve {
            let _ = uv_script(&["torchserve-stop"]).output();
        }
    }

    fn endpoint(&self) -> load::Endpoint {
        load::Endpoint {
            addr: self.addr,
            path: self.target.predict_path().into(),
            body: Bytes::from(model::request_body()),
        }
    }
}

/// One target through the run: live (or why not) and its rounds so far.
pub(super) struct Slot {
    pub target: Target,
    pub state: std::result::Result<Live, String>,
    /// Per round, (concurrency, result) per level.
    pub runs: Vec<Vec<(usize, load::Outcome)>>,
}

/// Starts `t`, waits until it is ready and checks that it answers the
/// benchmark request with the model's class.
pub(super) fn prepare(t: Target, model_path: &Path, work: &Path, workers: usize) -> Result<Live> {
    let port = free_port(if t == Target::Torchserve { 2 } else { 0 })?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let body = model::request_body();
    let probe_timeout = Duration::from_secs(5);
    let t0 = Instant::now();
    let mut server = start(t, port, model_path, work, workers)?;
    let ready = server.wait_ready(t.ready_limit(), || match t {
        Target::Torchserve => matches!(
            http_once(addr, "POST", t.predict_path(), &body, probe_timeout),
            Ok((200, b)) if prediction(&b).is_some()
        ),
        _ => matches!(
            http_once(addr, "GET", "/ready", b"", probe_timeout),
            Ok((200, _))
        ),
    });
    let startup = t0.elapsed();
    let ready = ready.map_err(|e| match t {
        // TorchServe's own log holds the worker's Python error, if any.
        Target::Torchserve => match last_error(&work.join("torchserve/logs/model_log.log")) {
            Some(line) => e.context(format!("worker error: {line}")),
            None => e,
        },
        _ => e,
    });
    let checked = ready.and_then(|_| {
        let (status, answer) = http_once(addr, "POST", t.predict_path(), &body, probe_timeout)?;
        let got = prediction(&answer);
        if status != 200 || got.is_none() {
            bail!("answered {status} {answer:?} to the benchmark request");
        }
        if t != Target::Floor && got != Some(model::expected().1) {
            bail!(
                "predicted {got:?}, expected {}: not the same model",
                model::expected().1
            );
        }
        Ok(())
    });
    let rss_start = rss_kib(server.pid()).unwrap_or(0);
    let live = Live {
        target: t,
        server,
        addr,
        startup,
        rss_start,
    };
    match checked {
        Ok(()) => Ok(live),
        Err(e) => {
            live.stop();
            Err(e)
        }
    }
}

/// One round of `live`: warm-up and measured window per [`CONCURRENCY`].
pub(super) fn measure_levels(live: &Live, s: &Settings) -> Result<Vec<(usize, load::Outcome)>> {
    let ep = live.endpoint();
    let mut runs = Vec::new();
    for c in CONCURRENCY {
        let spec = load::Spec {
            concurrency: c,
            warmup: s.warmup,
            duration: s.duration,
            timeout: Duration::from_secs(10),
            threads: s.client_threads,
        };
        let o = load::run(&ep, spec)?;
        eprintln!(
            "  c={c:>2}: {:>9.0} req/s, p50 {:>8.1} us, {} failed",
            o.throughput(),
            median_us(&o.latencies_ns),
            o.failed()
        );
        runs.push((c, o));
    }
    Ok(runs)
}

/// The soak of realizar: concurrency 64 for `s.soak`, RSS around it.
pub(super) fn run_soak(live: &Live, s: &Settings) -> std::result::Result<Soak, String> {
    let go = || -> Result<Soak> {
        eprintln!("  soak: {:.0} s at c=64", s.soak.as_secs_f64());
        let rss_before = rss_kib(live.server.pid())?;
        let spec = load::Spec {
            concurrency: 64,
            warmup: Duration::ZERO,
            duration: s.soak,
            timeout: Duration::from_secs(10),
            threads: s.client_threads,
        };
        let run = load::run(&live.endpoint(), spec)?;
        let rss_after = rss_kib(live.server.pid())?;
        eprintln!(
            "  soak: {} failed, RSS {rss_before} -> {rss_after} KiB",
            run.failed()
        );
        Ok(Soak {
            run,
            rss_before,
            rss_after,
            rss_start: live.rss_start,
        })
    };
    go().map_err(|e| format!("not run: {e:#}"))
}

/// Per level, the round of median throughput (the lower middle of an even
/// count), with every round's throughput kept for the report. Its failure
/// counts become those of all rounds at that level, so none is hidden.
pub(super) fn median_round(rounds: Vec<Vec<(usize, load::Outcome)>>, startup: Duration) -> Outcome {
    if rounds.is_empty() {
        return Outcome::NotRun("no round completed".into());
    }
    let mut runs = Vec::new();
    let mut rates = Vec::new();
    for c in CONCURRENCY {
        let mut at: Vec<load::Outcome> = rounds
            .iter()
            .filter_map(|r| r.iter().find(|(x, _)| *x == c).map(|(_, o)| o.clone()))
            .collect();
        rates.push((c, at.iter().map(load::Outcome::throughput).collect()));
        let mut failures = std::collections::BTreeMap::new();
        for o in &at {
            for (k, n) in &o.failures {
                *failures.entry(k.clone()).or_insert(0) += n;
            }
        }
        at.sort_by(|a, b| a.throughput().total_cmp(&b.throughput()));
        if !at.is_empty() {
            let mid = (at.len() - 1) / 2;
            let mut chosen = at.swap_remove(mid);
            chosen.failures = failures;
            runs.push((c, chosen));
        }
    }
    Outcome::Ran {
        runs,
        rounds: rates,
        startup,
    }
}
