//! Hostile text through the fixture tokenizers (GPT-2 and LLaMA-3 style
//! byte-level BPE, SentencePiece BPE and Unigram): no panics, byte-level
//! BPE round-trips every string exactly, and the hand-written GPT-2 and
//! LLaMA-3 splits give exactly the regex's matches.
#![no_main]

use libfuzzer_sys::fuzz_target;
use realizar_tokenize::bpe::HfTokenizer;
use realizar_tokenize::bpe::pretokenize::{GPT2_PATTERN, LLAMA3_PATTERN, SplitRegex};
use realizar_tokenize::sentencepiece::SentencePiece;
use std::sync::LazyLock;

static GPT2: LazyLock<HfTokenizer> = LazyLock::new(|| {
    HfTokenizer::from_json_str(include_str!("../../tests/fixtures/gpt2.json")).expect("fixture")
});
static LLAMA3: LazyLock<HfTokenizer> = LazyLock::new(|| {
    HfTokenizer::from_json_str(include_str!("../../tests/fixtures/llama3.json")).expect("fixture")
});
static SPM: LazyLock<[SentencePiece; 2]> = LazyLock::new(|| {
    [
        SentencePiece::from_bytes(include_bytes!("../../tests/fixtures/spm_bpe.model"))
            .expect("fixture"),
        SentencePiece::from_bytes(include_bytes!("../../tests/fixtures/spm_unigram.model"))
            .expect("fixture"),
    ]
});

/// (hand-written, regex) splitters of both patterns.
static SPLITS: LazyLock<Vec<(SplitRegex, SplitRegex)>> = LazyLock::new(|| {
    [GPT2_PATTERN, LLAMA3_PATTERN]
        .iter()
        .map(|p| {
            let fast = SplitRegex::new(p).expect("pattern");
            (fast.clone(), fast.without_fast_path())
        })
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (fast, regex) in SPLITS.iter() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        fast.for_each(text, |s, e, m| a.push((s, e, m)));
        regex.for_each(text, |s, e, m| b.push((s, e, m)));
        assert_eq!(a, b, "hand-written split differs from the regex");
    }
    for tok in [&*GPT2, &*LLAMA3] {
        let ids = tok.encode(text, false);
        let back = tok.decode(&ids, false).expect("ids from encode decode");
        assert_eq!(back, text, "byte-level BPE must round-trip");
    }
    for sp in SPM.iter() {
        let ids = sp.encode(text, true);
        let _ = sp.decode(&ids, false);
    }
});
