//! Suite `lambda`: the AWS Lambda `bootstrap` of realizar-lambda, run as a
//! real process against the crate's mock Runtime API (127.0.0.1), and its
//! handler alone.
//!
//! Run: `cargo bench -p realizar-benches --bench lambda`. The bootstrap is
//! `$REALIZAR_LAMBDA_BOOTSTRAP`, else `<target>/release-lambda/bootstrap`
//! (profile `release-lambda`, as deployed), built with cargo first when absent.
//!
//! - `cold_start`: spawn the bootstrap with an event already queued ->
//!   its answer received by the mock (process start, runtime and model
//!   init, one `GET /next`, the handler, one `POST /response`).
//! - `warm_invocation`: one more event through an already running
//!   bootstrap: queued -> answer received (two loopback HTTP exchanges).
//! - `handler/handle_event/{f32_text,f64_text}`: the pure handler on the
//!   same event (784 features written as shortest f32 text, ~8 kB, or as
//!   17-digit f64 text, ~15 kB): JSON parsing, dispatch, inference and the
//!   reply's JSON. `handler/predict` is the inference alone
//!   (`realizar_infer::api::predict` on the parsed request); the
//!   difference is what the handler adds to the inference.

use criterion::{Criterion, criterion_group, criterion_main};
use realizar_infer::api::{self, PredictRequest};
use realizar_lambda::mock::{FunctionProcess, MockRuntimeApi, Outcome};
use realizar_lambda::{LambdaModel, handle_event};
use std::hint::black_box;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// The bootstrap to run, built when it is not there.
fn bootstrap() -> PathBuf {
    if let Some(p) = std::env::var_os("REALIZAR_LAMBDA_BOOTSTRAP") {
        return PathBuf::from(p);
    }
    // <target>/release/deps/lambda-<hash> -> <target>
    let exe = std::env::current_exe().expect("the bench's own path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the bench runs from <target>/<profile>/deps")
        .to_path_buf();
    let path = target.join("release-lambda/bootstrap");
    if !path.is_file() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        eprintln!("building {} (profile release-lambda)", path.display());
        let status = Command::new(cargo)
            .args(["build", "-p", "realizar-lambda", "--bin", "bootstrap"])
            .args(["--profile", "release-lambda"])
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .expect("run cargo");
        assert!(status.success(), "building the bootstrap failed");
    }
    path
}

fn features() -> Vec<f32> {
    let data = realizar_infer::data::synthetic_mnist(3);
    data.sample(2).expect("sample 2").to_vec()
}

/// The event with features as shortest f32 text (what a Rust client
/// serialising `PredictRequest` sends).
fn event_f32() -> String {
    let req = PredictRequest {
        model_id: None,
        features: features(),
        options: None,
    };
    serde_json::to_string(&req).expect("serialise")
}

/// The event with features as 17-digit f64 text (what a client holding
/// f64 values sends).
fn event_f64() -> String {
    let x: Vec<f64> = features().into_iter().map(f64::from).collect();
    serde_json::json!({ "features": x }).to_string()
}

fn command(path: &PathBuf) -> Command {
    let mut cmd = Command::new(path);
    cmd.env_remove("REALIZAR_MODEL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn answered(o: &Outcome) {
    let ok = matches!(o, Outcome::Response { .. })
        && o.json().is_some_and(|v| v.get("prediction").is_some());
    assert!(ok, "not a prediction: {o:?}");
}

fn cold_start(c: &mut Criterion) {
    let path = bootstrap();
    let event = event_f32();
    let mut g = c.benchmark_group("lambda");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function("cold_start", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut api = MockRuntimeApi::start().expect("mock runtime api");
                api.push(event.clone());
                let p = FunctionProcess::spawn(command(&path), &api).expect("spawn");
                let o = api.next_outcome(WAIT).expect("an answer in time");
                answered(&o);
                total += o.at() - p.started();
            }
            total
        })
    });
    g.finish();
}

fn warm_invocation(c: &mut Criterion) {
    let path = bootstrap();
    let event = event_f32();
    let mut api = MockRuntimeApi::start().expect("mock runtime api");
    let _p = FunctionProcess::spawn(command(&path), &api).expect("spawn");
    answered(&api.invoke(event.clone(), WAIT).expect("first answer"));
    let mut g = c.benchmark_group("lambda");
    g.bench_function("warm_invocation", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t0 = std::time::Instant::now();
                let o = api.invoke(event.clone(), WAIT).expect("an answer in time");
                total += o.at() - t0;
                black_box(&o);
            }
            total
        })
    });
    g.finish();
}

fn handler(c: &mut Criterion) {
    let model = LambdaModel::embedded().expect("the embedded model");
    let mut g = c.benchmark_group("handler");
    for (name, event) in [("f32_text", event_f32()), ("f64_text", event_f64())] {
        g.bench_function(format!("handle_event/{name}"), |b| {
            b.iter(|| black_box(handle_event(&model, black_box(&event)).to_json()))
        });
    }
    let req: PredictRequest = serde_json::from_str(&event_f32()).expect("parse");
    g.bench_function("predict", |b| {
        b.iter(|| black_box(api::predict(model.model(), black_box(&req))))
    });
    g.finish();
}

criterion_group!(benches, handler, warm_invocation, cold_start);
criterion_main!(benches);
