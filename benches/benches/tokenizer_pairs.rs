//! Paired throughput of byte-level BPE encoding: realizar against HF
//! `tokenizers` 1.0 rc, timed in alternation on the same text.
//!
//! Run: `cargo bench -p realizar-benches --bench tokenizer_pairs`
//! (`PAIRS_ROUNDS=N` for more rounds than the default 40).
//!
//! Criterion measures one function for seconds before the next, so on a
//! machine whose speed drifts within minutes (shared VMs) the order of the
//! benches can decide a ratio. Here each round times one realizar encode
//! and one HF encode back to back (the order alternating between rounds),
//! so both sides see the same machine state; the reported ratio is the
//! median over rounds of realizar / HF throughput, with a percentile
//! bootstrap 95% confidence interval. Texts and tokenizers are those of
//! the `tokenizer` suite; each call is one whole text (`whole`) or one call
//! per line (`lines`), the word caches warm.

use std::hint::black_box;
use std::time::Instant;

use realizar_benches::text::{SIZE, corpora, tokenizer_fixture};
use realizar_stats::Summary;
use realizar_tokenize::{Tokenize, Tokenizer};
use tokenizers::pipeline::{EncodeOptions, PipelineTokenizer};

/// Seconds of one call of `f`.
fn time(f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn main() {
    let rounds: usize = std::env::var("PAIRS_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let (prose, code) = corpora();
    let mib = SIZE as f64 / (1 << 20) as f64;
    println!(
        "| model | text, mode | realizar MiB/s | HF tokenizers MiB/s | ratio (median of {rounds} rounds) | 95% CI |"
    );
    println!("|---|---|---|---|---|---|");
    for model in ["gpt2", "llama3"] {
        let file = format!("{model}.json");
        let ours = Tokenizer::from_file(tokenizer_fixture(&file)).expect("fixture tokenizer");
        let canonical =
            tokenizers::canonicalize_file(tokenizer_fixture(&file)).expect("canonical json");
        let hf: PipelineTokenizer = tokenizers::from_json(&canonical).expect("HF tokenizer");
        let opts = EncodeOptions::no_specials();
        for (name, text) in [("prose", &prose), ("code", &code)] {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            for mode in ["whole", "lines"] {
                let mut a = || {
                    if mode == "whole" {
                        black_box(ours.encode(black_box(text), false));
                    } else {
                        for l in &lines {
                            black_box(ours.encode(black_box(l), false));
                        }
                    }
                };
                let mut b = || {
                    if mode == "whole" {
                        black_box(hf.encode(black_box(text.as_str()), &opts).wait().ok());
                    } else {
                        for l in &lines {
                            black_box(hf.encode(black_box(*l), &opts).wait().ok());
                        }
                    }
                };
                // Warm-up: caches filled, code paged in.
                a();
                b();
                let (mut ta, mut tb, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
                for r in 0..rounds {
                    let (x, y) = if r % 2 == 0 {
                        let x = time(&mut a);
                        (x, time(&mut b))
                    } else {
                        let y = time(&mut b);
                        (time(&mut a), y)
                    };
                    ta.push(mib / x);
                    tb.push(mib / y);
                    ratio.push(y / x);
                }
                let med = |v: &[f64]| Summary::new(v).map(|s| s.p50).unwrap_or(f64::NAN);
                let ci = Summary::new(&ratio)
                    .and_then(|s| s.bootstrap_median_ci(2000, 0.95, 42))
                    .map(|c| format!("{:.2}–{:.2}", c.lower, c.upper))
                    .unwrap_or_else(|e| format!("({e})"));
                println!(
                    "| {model} | {name}, {mode} | {:.1} | {:.1} | {:.2} | {ci} |",
                    med(&ta),
                    med(&tb),
                    med(&ratio)
                );
            }
        }
    }
}
