//! Measures a Lambda custom runtime against the local mock Runtime API
//! (`realizar_lambda::mock`): cold start (spawn -> first answer received),
//! init (spawn -> first `GET /invocation/next`), warm invocations (event
//! queued -> answer received, one process) and peak RSS (`VmHWM`). Prints
//! one JSON document; `cargo xtask lambda-report` runs it for the realizar
//! bootstrap and for the Python + PyTorch peer.
//!
//! ```text
//! cargo run -p realizar-lambda --example measure --release -- \
//!     [--spawns 50] [--warm 500] [--handler 20000] -- COMMAND [ARGS...]
//! ```
//!
//! The event is a direct predict request on sample 2 of the synthetic
//! MNIST-shaped data set (784 features, shortest f32 text, ~8 kB); every
//! answer must hold a `prediction`, or the run fails. `--handler N` also
//! times `realizar_lambda::handle_event` and `realizar_infer::api::predict`
//! in this process (N calls each) to show what the handler adds to
//! inference, for that event and for the same features as 17-digit f64
//! text (~15 kB).

use realizar_lambda::mock::{FunctionProcess, MockRuntimeApi, Outcome};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);

struct Args {
    spawns: usize,
    warm: usize,
    handler: usize,
    command: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        spawns: 50,
        warm: 500,
        handler: 0,
        command: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut num = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a whole number"))
        };
        match a.as_str() {
            "--spawns" => args.spawns = num("--spawns")?.max(1),
            "--warm" => args.warm = num("--warm")?,
            "--handler" => args.handler = num("--handler")?,
            "--" => {
                args.command = it.by_ref().collect();
                break;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if args.command.is_empty() {
        return Err(
            "usage: measure [--spawns N] [--warm N] [--handler N] -- COMMAND [ARGS...]".into(),
        );
    }
    Ok(args)
}

fn features() -> Vec<f32> {
    let data = realizar_infer::data::synthetic_mnist(3);
    data.sample(2).expect("sample 2 exists").to_vec()
}

/// The event as a Rust client serialising `PredictRequest` writes it:
/// shortest f32 text per feature (~8 kB).
fn event() -> String {
    let req = realizar_infer::api::PredictRequest {
        model_id: None,
        features: features(),
        options: None,
    };
    serde_json::to_string(&req).expect("a request serialises")
}

/// The same event with 17-digit f64 text per feature (~15 kB), as a client
/// holding f64 values writes it.
fn event_f64() -> String {
    let x: Vec<f64> = features().into_iter().map(f64::from).collect();
    serde_json::json!({ "features": x }).to_string()
}

fn command(args: &Args) -> Command {
    let mut cmd = Command::new(&args.command[0]);
    cmd.args(&args.command[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn check(o: &Outcome) -> Result<(), String> {
    match o.json() {
        Some(v) if matches!(o, Outcome::Response { .. }) && v.get("prediction").is_some() => Ok(()),
        _ => Err(format!("not a prediction: {o:?}")),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    if let Err(e) = run() {
        eprintln!("measure: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let event = event();
    let mut cold = Vec::new();
    let mut init = Vec::new();
    let mut rss_cold = 0u64;
    for _ in 0..args.spawns {
        let mut api = MockRuntimeApi::start().map_err(|e| e.to_string())?;
        api.push(event.clone());
        let p = FunctionProcess::spawn(command(&args), &api).map_err(|e| e.to_string())?;
        let o = api
            .next_outcome(WAIT)
            .ok_or_else(|| format!("no answer within {WAIT:?}"))?;
        check(&o)?;
        cold.push(ms(o.at() - p.started()));
        if let Some(t) = api.first_poll_at() {
            init.push(ms(t - p.started()));
        }
        rss_cold = rss_cold.max(p.peak_rss_kib().unwrap_or(0));
    }

    let mut warm = Vec::new();
    let mut rss = 0;
    if args.warm > 0 {
        let mut api = MockRuntimeApi::start().map_err(|e| e.to_string())?;
        let p = FunctionProcess::spawn(command(&args), &api).map_err(|e| e.to_string())?;
        // The first (cold) one and a few more to settle.
        for _ in 0..10 {
            check(&api.invoke(event.clone(), WAIT).map_err(|e| e.to_string())?)?;
        }
        for _ in 0..args.warm {
            let t0 = Instant::now();
            let o = api.invoke(event.clone(), WAIT).map_err(|e| e.to_string())?;
            check(&o)?;
            warm.push(ms(o.at() - t0));
        }
        rss = p.peak_rss_kib().unwrap_or(0);
    }

    let handler = if args.handler > 0 {
        Some(serde_json::json!({
            "f32_text": time_handler(&event, args.handler)?,
            "f64_text": time_handler(&event_f64(), args.handler)?,
        }))
    } else {
        None
    };

    let out = serde_json::json!({
        "command": args.command,
        "event_bytes": event.len(),
        "event_f64_bytes": event_f64().len(),
        "cold_start_ms": cold,
        "init_ms": init,
        "warm_ms": warm,
        "peak_rss_kib_cold": rss_cold,
        "peak_rss_kib_warm": rss,
        "handler": handler,
    });
    println!("{out}");
    Ok(())
}

/// Median nanoseconds of `handle_event` on the event and of `api::predict`
/// on the parsed request: the first includes JSON parsing, dispatch and
/// the reply's serialisation, the second is the inference alone.
fn time_handler(event: &str, n: usize) -> Result<serde_json::Value, String> {
    use realizar_infer::api::{self, PredictRequest};
    let model = realizar_lambda::LambdaModel::from_env().map_err(|e| e.to_string())?;
    let req: PredictRequest = serde_json::from_str(event).map_err(|e| e.to_string())?;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut full = Vec::with_capacity(n);
    let mut infer = Vec::with_capacity(n);
    for _ in 0..n.min(1000) {
        std::hint::black_box(realizar_lambda::handle_event(&model, event).to_json());
    }
    for _ in 0..n {
        let t = Instant::now();
        let json = realizar_lambda::handle_event(&model, std::hint::black_box(event)).to_json();
        full.push(t.elapsed().as_nanos() as f64);
        std::hint::black_box(json);
        let t = Instant::now();
        let r = api::predict(model.model(), std::hint::black_box(&req));
        infer.push(t.elapsed().as_nanos() as f64);
        std::hint::black_box(r).map_err(|e| e.to_string())?;
    }
    let (f, i) = (median(full), median(infer));
    Ok(serde_json::json!({
        "calls": n,
        "event_bytes": event.len(),
        "handle_event_ns_p50": f,
        "predict_ns_p50": i,
        "overhead_ns_p50": f - i,
    }))
}
