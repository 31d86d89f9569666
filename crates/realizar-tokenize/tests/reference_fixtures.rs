//! Our ids and decodes against the reference libraries' on every fixture
//! string (regenerate with `cd comparative && uv run python
//! fixtures/tokenize_fixtures.py`).

use std::path::PathBuf;

use realizar_tokenize::{Tokenize, Tokenizer};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn strings() -> Vec<String> {
    let text = std::fs::read_to_string(fixture("tokenize_strings.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn check(model: &str, expected: &str) {
    let tok = Tokenizer::from_file(fixture(model)).unwrap();
    let strings = strings();
    assert!(strings.len() >= 500);
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(expected)).unwrap()).unwrap();
    let want = exp["ids"].as_array().unwrap();
    let decoded = exp["decoded"].as_array().unwrap();
    assert_eq!(want.len(), strings.len());
    let mut failures = Vec::new();
    for (i, s) in strings.iter().enumerate() {
        let got = tok.encode(s, false);
        let w = ids(&want[i]);
        if got != w {
            failures.push(format!(
                "#{i} {:?}\n  got  {got:?}\n  want {w:?}",
                s.chars().take(80).collect::<String>()
            ));
            continue;
        }
        let d = tok.decode(&got, false).unwrap();
        let wd = decoded[i].as_str().unwrap_or(s);
        if d != wd {
            failures.push(format!("#{i} decode {s:?}\n  got  {d:?}\n  want {wd:?}"));
        }
    }
    for (i, w) in exp["ids_special"].as_array().unwrap().iter().enumerate() {
        let got = tok.encode(&strings[i], true);
        if got != ids(w) {
            failures.push(format!(
                "#{i} special {:?}\n  got  {got:?}\n  want {:?}",
                strings[i],
                ids(w)
            ));
        }
    }
    let shown: Vec<_> = failures.iter().take(8).cloned().collect();
    assert!(
        failures.is_empty(),
        "{model}: {} failures\n{}",
        failures.len(),
        shown.join("\n")
    );
}

#[test]
fn gpt2_byte_level_bpe_matches_hf_tokenizers() {
    check("gpt2.json", "tokenize_expected_gpt2.json");
}

#[test]
fn llama3_byte_level_bpe_matches_hf_tokenizers() {
    check("llama3.json", "tokenize_expected_llama3.json");
}

#[test]
fn sentencepiece_bpe_matches_sentencepiece() {
    check("spm_bpe.model", "tokenize_expected_spm_bpe.json");
}

#[test]
fn sentencepiece_unigram_matches_sentencepiece() {
    check("spm_unigram.model", "tokenize_expected_spm_unigram.json");
}

#[test]
fn stream_decoder_concatenates_to_decode() {
    for model in [
        "gpt2.json",
        "llama3.json",
        "spm_bpe.model",
        "spm_unigram.model",
    ] {
        let tok = Tokenizer::from_file(fixture(model)).unwrap();
        for s in strings().iter().take(80) {
            let ids = tok.encode(s, false);
            let mut dec = tok.stream_decoder(false);
            let mut text = String::new();
            for &id in &ids {
                if let Some(piece) = dec.step(id).unwrap() {
                    text.push_str(&piece);
                }
            }
            assert_eq!(text, tok.decode(&ids, false).unwrap(), "{model}: {s:?}");
        }
    }
}
