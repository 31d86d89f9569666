//! Suite `inference`: classical-model prediction (784 -> 2, the MNIST-shaped
//! demo model). The generation benchmarks (`generate/*`) join this suite
//! with the LLM models.
//!
//! Run: `cargo bench -p realizar-benches --bench inference`.
//!
//! - `logistic_predict`: one sample, class only (one 784-float dot product
//!   plus the sign): the per-request floor of the prediction server.
//! - `logistic_predict_proba`: one sample, both class probabilities.
//! - `logistic_predict_batch/1000`: the 1000 samples of the synthetic set
//!   in one call (throughput in samples/s).
//! - `softmax_predict`: one sample through a two-class softmax regression
//!   in PyTorch's `nn.Linear(784, 2)` layout (evaluated as one dot product
//!   on the difference of the rows).
//! - `request_parse/{serde_json,from_json}/784`: a `POST /predict` body of
//!   784 features parsed by `serde_json` and by `PredictRequest::from_json`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use realizar_infer::data::{demo_model, synthetic_mnist};
use realizar_infer::{ClassicalModel, SoftmaxRegression};
use std::hint::black_box;

/// The sample every single-sample benchmark predicts (class 1 of the set).
const SAMPLE: usize = 1;

fn logistic(c: &mut Criterion) {
    let model = demo_model().expect("train the demo model");
    let data = synthetic_mnist(1000);
    let x = data.sample(SAMPLE).expect("sample").to_vec();

    c.bench_function("logistic_predict", |b| {
        b.iter(|| black_box(black_box(&model).predict(black_box(&x))))
    });

    let mut out = [0.0f32; 2];
    c.bench_function("logistic_predict_proba", |b| {
        b.iter(|| {
            let r = black_box(&model).predict_proba_into(black_box(&x), black_box(&mut out));
            black_box(r)
        })
    });

    let mut g = c.benchmark_group("logistic_predict_batch");
    let n = data.n;
    let mut labels = vec![0u32; n];
    g.throughput(Throughput::Elements(n as u64));
    g.bench_with_input(BenchmarkId::from_parameter(n), &data.x, |b, xs| {
        b.iter(|| {
            let r = black_box(&model).predict_batch(black_box(xs), black_box(&mut labels));
            black_box(r)
        })
    });
    g.finish();
}

fn softmax(c: &mut Criterion) {
    // The demo model's weights as the two rows of an nn.Linear(784, 2).
    let ClassicalModel::Logistic(demo) = demo_model().expect("train the demo model") else {
        unreachable!("the demo model is a logistic regression")
    };
    let w: Vec<f32> = demo
        .weight()
        .iter()
        .map(|v| -0.5 * v)
        .chain(demo.weight().iter().map(|v| 0.5 * v))
        .collect();
    let b = [-0.5 * demo.bias(), 0.5 * demo.bias()];
    let model: ClassicalModel = SoftmaxRegression::new(&w, &b).expect("model").into();
    let x = synthetic_mnist(SAMPLE + 1)
        .sample(SAMPLE)
        .expect("sample")
        .to_vec();
    c.bench_function("softmax_predict", |b| {
        b.iter(|| black_box(black_box(&model).predict(black_box(&x))))
    });
}

/// Group `request_parse`: a `POST /predict` body of 784 features (each
/// the shortest text of its f32, as clients' JSON libraries write them)
/// read by `serde_json` and by the API's fast path, bytes/s of body.
fn request_parse(c: &mut Criterion) {
    use realizar_infer::api::PredictRequest;
    let data = synthetic_mnist(2);
    let req = PredictRequest {
        model_id: Some("mnist-v1".into()),
        features: data.x[data.dim..2 * data.dim].to_vec(),
        options: None,
    };
    let body = serde_json::to_vec(&req).expect("serialises");
    let mut g = c.benchmark_group("request_parse");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("serde_json/784", |b| {
        b.iter(|| serde_json::from_slice::<PredictRequest>(black_box(&body)).expect("valid"))
    });
    g.bench_function("from_json/784", |b| {
        b.iter(|| PredictRequest::from_json(black_box(&body)).expect("valid"))
    });
    g.finish();
}

criterion_group!(benches, logistic, softmax, request_parse);
criterion_main!(benches);
