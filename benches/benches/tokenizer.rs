//! Suite `tokenizer`: encode and decode throughput (bytes of text per
//! second) of realizar-tokenize, with HF `tokenizers` (1.0 rc line) in the
//! same groups for byte-level BPE.
//!
//! Run: `cargo bench -p realizar-benches --bench tokenizer` (add a filter
//! such as `-- bpe_encode`). Tokenizers are the fixtures of
//! realizar-tokenize (2k vocabularies trained by the reference libraries;
//! `comparative/fixtures/tokenize_fixtures.py`). Texts, ~1 MiB each, built
//! the same way by `comparative/peers/tokenize_peers.py` (which times the
//! Python `tokenizers` and `sentencepiece`):
//!
//! - `code`: every `*.rs` file under `crates/`, sorted by path, concatenated;
//! - `prose`: the text of every Markdown file and of every `//!` / `///`
//!   doc-comment line in those sources;
//!
//! each repeated to 1 MiB. `whole` encodes the text in one call; `lines`
//! calls encode once per line. `whole_cold` clears our word cache before
//! each call, for the models that cache words (byte-level BPE and, since it
//! caches too, SentencePiece BPE); HF has no public way to clear its cache,
//! so it is warm.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use realizar_benches::text::{corpora, tokenizer_fixture as fixture};
use realizar_tokenize::bpe::pretokenize::{GPT2_PATTERN, LLAMA3_PATTERN};
use realizar_tokenize::{SpmKind, Tokenize, Tokenizer};

/// HF `tokenizers` 1.0 rc: canonicalize the 1.0-format file, then load it.
fn hf_load(file: &str) -> tokenizers::pipeline::PipelineTokenizer {
    let canonical = tokenizers::canonicalize_file(fixture(file)).unwrap();
    tokenizers::from_json(&canonical).unwrap()
}

/// One HF encode, as timed (the encodings, no copy of the ids).
fn hf_encode(
    hf: &tokenizers::pipeline::PipelineTokenizer,
    text: &str,
) -> Vec<tokenizers::pipeline::Encoding> {
    let opts = tokenizers::pipeline::EncodeOptions::no_specials();
    hf.encode(text, &opts).wait().unwrap()
}

fn hf_ids(hf: &tokenizers::pipeline::PipelineTokenizer, text: &str) -> Vec<u32> {
    let enc = hf_encode(hf, text);
    enc.iter()
        .flat_map(|e| e.ids().iter().map(|t| t.id()))
        .collect()
}

/// The fixture's id → raw bytes table: the ranks of the tiktoken-style
/// peers (ids without bytes get a placeholder no text contains).
fn ranks(tok: &Tokenizer) -> Vec<Vec<u8>> {
    let Tokenizer::Bpe(t) = tok else {
        return Vec::new();
    };
    (0..t.vocab_size() as u32)
        .map(|id| match t.id_to_bytes(id) {
            Some(b) if !b.is_empty() => b.to_vec(),
            _ => [&[0xff, 0xfe][..], id.to_string().as_bytes()].concat(),
        })
        .collect()
}

/// The pre-tokenizer pattern of a fixture, for the peers that take one:
/// the regex as written, and `bpe-openai`'s rewrite of `\s+(?!\S)` as
/// (pattern, is-look-ahead) parts.
fn patterns(model: &str) -> (&'static str, [(&'static str, bool); 3]) {
    match model {
        "gpt2" => (
            GPT2_PATTERN,
            [
                (
                    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+$",
                    false,
                ),
                (r"\s+\s", true),
                (r"\s+", false),
            ],
        ),
        _ => (
            LLAMA3_PATTERN,
            [
                (
                    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+$",
                    false,
                ),
                (r"\s+\s", true),
                (r"\s+", false),
            ],
        ),
    }
}

/// `tiktoken-rs` and `bpe-openai` tokenizers on the fixture's vocabulary.
/// `bpe-openai` is `None` when it cannot take the vocabulary: its
/// `from_dictionary` asserts that every token encodes to itself under
/// rank order, which a vocabulary trained by HF `tokenizers` need not
/// satisfy (the reason is printed).
fn rank_peers(
    tok: &Tokenizer,
    model: &str,
) -> (tiktoken_rs::CoreBPE, Option<bpe_openai::Tokenizer>) {
    let ranks = ranks(tok);
    let (pattern, parts) = patterns(model);
    let encoder = ranks
        .iter()
        .enumerate()
        .map(|(id, b)| (b.clone(), id as u32))
        .collect();
    let tiktoken = tiktoken_rs::CoreBPE::new(encoder, Default::default(), pattern)
        .expect("tiktoken-rs from the fixture's ranks");
    let bpe = std::panic::catch_unwind(|| {
        bpe_openai::byte_pair_encoding::BytePairEncoding::from_dictionary(ranks, None)
    });
    let openai = match bpe {
        Ok(bpe) => Some(
            bpe_openai::Tokenizer::new_lookahead(bpe, &parts, false).expect("bpe-openai pattern"),
        ),
        Err(_) => {
            eprintln!("{model}: bpe-openai cannot run on this vocabulary (not reported)");
            None
        }
    };
    (tiktoken, openai)
}

/// Empties our word cache (HF has no public way to clear its own).
fn clear_cache(tok: &Tokenizer) {
    match tok {
        Tokenizer::Bpe(t) => t.clear_cache(),
        Tokenizer::SentencePiece(t) => t.clear_cache(),
        _ => {}
    }
}

fn encode_group(c: &mut Criterion, group: &str, models: &[(&str, &str)], with_hf: bool) {
    let (prose, code) = corpora();
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    for (model, file) in models {
        let ours = Tokenizer::from_file(fixture(file)).unwrap();
        let hf = with_hf.then(|| hf_load(file));
        for (name, text) in [("prose", &prose), ("code", &code)] {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            g.throughput(Throughput::Bytes(text.len() as u64));
            let id = |who: &str, how: &str| BenchmarkId::new(format!("{who}/{model}/{how}"), name);
            g.bench_function(id("realizar", "whole"), |b| {
                b.iter(|| black_box(ours.encode(black_box(text), false)))
            });
            g.bench_function(id("realizar", "lines"), |b| {
                b.iter(|| {
                    for l in &lines {
                        black_box(ours.encode(black_box(l), false));
                    }
                })
            });
            // Models that cache words (byte-level BPE, SentencePiece BPE).
            let caches = match &ours {
                Tokenizer::Bpe(_) => true,
                Tokenizer::SentencePiece(t) => t.kind() == SpmKind::Bpe,
                _ => false,
            };
            if caches {
                g.bench_function(id("realizar", "whole_cold"), |b| {
                    b.iter_batched(
                        || clear_cache(&ours),
                        |()| black_box(ours.encode(black_box(text), false)),
                        BatchSize::PerIteration,
                    )
                });
            }
            if with_hf {
                // Rank-based BPE (merge the lowest-id pair) is not HF's
                // merge-rank BPE: say whether the ids agree, time both.
                let (tiktoken, openai) = rank_peers(&ours, model);
                let want = ours.encode(text, false);
                let agree = tiktoken.encode_ordinary(text) == want;
                eprintln!(
                    "{group}/{model}/{name}: tiktoken-rs ids {} realizar's",
                    if agree { "equal" } else { "differ from" }
                );
                g.bench_function(id("tiktoken_rs", "whole"), |b| {
                    b.iter(|| black_box(tiktoken.encode_ordinary(black_box(text))))
                });
                g.bench_function(id("tiktoken_rs", "lines"), |b| {
                    b.iter(|| {
                        for l in &lines {
                            black_box(tiktoken.encode_ordinary(black_box(l)));
                        }
                    })
                });
                if let Some(openai) = &openai {
                    g.bench_function(id("bpe_openai", "whole"), |b| {
                        b.iter(|| black_box(openai.encode(black_box(text.as_str()))))
                    });
                    g.bench_function(id("bpe_openai", "lines"), |b| {
                        b.iter(|| {
                            for l in &lines {
                                black_box(openai.encode(black_box(*l)));
                            }
                        })
                    });
                }
            }
            if let Some(hf) = &hf {
                // Same ids, or the comparison means nothing.
                assert_eq!(hf_ids(hf, text), ours.encode(text, false), "{model}/{name}");
                g.bench_function(id("hf_tokenizers", "whole"), |b| {
                    b.iter(|| black_box(hf_encode(hf, black_box(text))))
                });
                g.bench_function(id("hf_tokenizers", "lines"), |b| {
                    b.iter(|| {
                        for l in &lines {
                            black_box(hf_encode(hf, black_box(l)));
                        }
                    })
                });
            }
        }
    }
    g.finish();
}

fn decode_group(c: &mut Criterion, group: &str, models: &[(&str, &str)], with_hf: bool) {
    let (prose, _) = corpora();
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Bytes(prose.len() as u64));
    for (model, file) in models {
        let ours = Tokenizer::from_file(fixture(file)).unwrap();
        let ids = ours.encode(&prose, false);
        g.bench_function(
            BenchmarkId::new(format!("realizar/{model}"), "prose"),
            |b| b.iter(|| black_box(ours.decode(black_box(&ids), false).unwrap())),
        );
        if with_hf {
            let hf = hf_load(file);
            g.bench_function(
                BenchmarkId::new(format!("hf_tokenizers/{model}"), "prose"),
                |b| b.iter(|| black_box(hf.decode(black_box(&ids), false).unwrap())),
            );
        }
    }
    g.finish();
}

const BPE: &[(&str, &str)] = &[("gpt2", "gpt2.json"), ("llama3", "llama3.json")];
const SPM: &[(&str, &str)] = &[("bpe", "spm_bpe.model"), ("unigram", "spm_unigram.model")];

fn bpe_encode(c: &mut Criterion) {
    encode_group(c, "bpe_encode", BPE, true);
}

fn bpe_decode(c: &mut Criterion) {
    decode_group(c, "bpe_decode", BPE, true);
}

fn spm_encode(c: &mut Criterion) {
    encode_group(c, "spm_encode", SPM, false);
}

fn spm_decode(c: &mut Criterion) {
    decode_group(c, "spm_decode", SPM, false);
}

criterion_group!(benches, bpe_encode, bpe_decode, spm_encode, spm_decode);
criterion_main!(benches);
