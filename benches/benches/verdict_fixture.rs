//! Not a suite: a tiny, steady benchmark whose amount of work is set by
//! `REALIZAR_VERDICT_WORK` (default 2000 steps), used to produce the real
//! criterion output behind the verdict test
//! (`crates/realizar-viz/tests/fixtures/criterion/`, see its README).
//!
//! Run: `REALIZAR_VERDICT_WORK=2200 cargo bench -p realizar-benches --bench verdict_fixture -- --save-baseline slow10`.
//! Each step is one round of a dependent xorshift chain, all in registers,
//! so the time is proportional to the step count: 2200 steps is the same
//! code slowed by 10%.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

/// xorshift64 `steps` times; every step depends on the last.
fn spin(mut s: u64, steps: u32) -> u64 {
    for _ in 0..steps {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
    }
    s
}

fn verdict_fixture(c: &mut Criterion) {
    let steps: u32 = std::env::var("REALIZAR_VERDICT_WORK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mut g = c.benchmark_group("verdict_fixture");
    g.sample_size(100)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("spin", |b| {
        b.iter(|| black_box(spin(black_box(0x9E37_79B9_7F4A_7C15), black_box(steps))))
    });
    g.finish();
}

criterion_group!(benches, verdict_fixture);
criterion_main!(benches);
