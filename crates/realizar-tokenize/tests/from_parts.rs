//! Tokenizers built from parts (as GGUF metadata stores them) encode like
//! the ones loaded from files.

use std::path::PathBuf;

use realizar_tokenize::sentencepiece::proto::{ModelProto, PieceType};
use realizar_tokenize::{HfTokenizer, SentencePiece, SpmKind, SpmOptions, Tokenize, Tokenizer};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn strings() -> Vec<String> {
    let s: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(fixture("tokenize_strings.json")).unwrap())
            .unwrap();
    s.into_iter().take(200).collect()
}

#[test]
fn gpt2_from_tokens_and_merges() {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("gpt2.json")).unwrap()).unwrap();
    let vocab = json["model"]["vocab"].as_object().unwrap();
    let mut tokens = vec![String::new(); vocab.len()];
    for (t, id) in vocab {
        tokens[id.as_u64().unwrap() as usize] = t.clone();
    }
    let merges: Vec<(String, String)> = json["model"]["merges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m[0].as_str().unwrap().to_owned(),
                m[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let parts = HfTokenizer::from_parts(&tokens, &merges, &[(0, true)]).unwrap();
    let file = Tokenizer::from_file(fixture("gpt2.json")).unwrap();
    for s in strings() {
        assert_eq!(parts.encode(&s, false), file.encode(&s, false), "{s:?}");
    }
}

#[test]
fn sentencepiece_from_tokens_scores_and_types() {
    for (name, kind) in [
        ("spm_bpe.model", SpmKind::Bpe),
        ("spm_unigram.model", SpmKind::Unigram),
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let m = ModelProto::parse(&bytes).unwrap();
        let tokens: Vec<String> = m.pieces.iter().map(|p| p.piece.clone()).collect();
        let scores: Vec<f32> = m.pieces.iter().map(|p| p.score).collect();
        let types: Vec<i32> = m
            .pieces
            .iter()
            .map(|p| match p.kind {
                PieceType::Normal => 1,
                PieceType::Unknown => 2,
                PieceType::Control => 3,
                PieceType::UserDefined => 4,
                PieceType::Unused => 5,
                PieceType::Byte => 6,
            })
            .collect();
        let opts = SpmOptions {
            add_dummy_prefix: m.add_dummy_prefix,
            remove_extra_whitespaces: m.remove_extra_whitespaces,
            escape_whitespaces: m.escape_whitespaces,
            byte_fallback: m.byte_fallback,
        };
        let parts =
            SentencePiece::from_parts(kind, &tokens, &scores, &types, opts, Some(1), Some(2))
                .unwrap();
        let file = SentencePiece::from_bytes(&bytes).unwrap();
        for s in strings() {
            assert_eq!(
                parts.encode(&s, true),
                file.encode(&s, true),
                "{name}: {s:?}"
            );
        }
        assert!(
            SentencePiece::from_parts(kind, &tokens, &scores[1..], &types, opts, None, None)
                .is_err()
        );
    }
}
