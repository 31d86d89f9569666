//! Malformed `tokenizer.json` and `.model` files give typed errors, never panics.

use std::path::PathBuf;

use realizar_tokenize::{Error, HfTokenizer, SentencePiece, Tokenizer};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn gpt2_json() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("gpt2.json")).unwrap()).unwrap()
}

fn load(v: &serde_json::Value) -> Result<HfTokenizer, Error> {
    HfTokenizer::from_json_str(&v.to_string())
}

#[test]
fn truncated_json_is_a_json_error() {
    let text = std::fs::read_to_string(fixture("gpt2.json")).unwrap();
    for cut in [0, 1, 100, text.len() / 2, text.len() - 2] {
        let e = HfTokenizer::from_json_str(&text[..cut]).unwrap_err();
        assert!(matches!(e, Error::Json(_)), "cut {cut}: {e}");
    }
}

#[test]
fn wrong_types_are_reported_by_field() {
    let mut v = gpt2_json();
    v["model"]["vocab"] = serde_json::json!([1, 2]);
    assert!(matches!(load(&v), Err(Error::Json(m)) if m.contains("model.vocab")));

    let mut v = gpt2_json();
    v["model"]["vocab"]["Ġthe"] = serde_json::json!("seven");
    assert!(matches!(load(&v), Err(Error::Json(m)) if m.contains("model.vocab")));

    let mut v = gpt2_json();
    v["model"]["merges"] = serde_json::json!({"a": 1});
    assert!(matches!(load(&v), Err(Error::Json(m)) if m.contains("model.merges")));

    let mut v = gpt2_json();
    v["model"]["merges"][3] = serde_json::json!(17);
    assert!(matches!(load(&v), Err(Error::BadMerge { index: 3, .. })));

    let mut v = gpt2_json();
    v["added_tokens"][0]["lstrip"] = serde_json::json!("yes");
    assert!(matches!(load(&v), Err(Error::Json(m)) if m.contains("lstrip")));

    let mut v = gpt2_json();
    v.as_object_mut().unwrap().remove("model");
    assert!(matches!(load(&v), Err(Error::MissingField("model"))));
}

#[test]
fn merges_naming_unknown_tokens_are_rejected() {
    let mut v = gpt2_json();
    v["model"]["merges"][5] = serde_json::json!(["zz_not_a_token", "e"]);
    match load(&v) {
        Err(Error::UnknownMergeToken {
            index: 5, missing, ..
        }) => assert_eq!(missing, "zz_not_a_token"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unsupported_components_are_named() {
    let mut v = gpt2_json();
    v["pre_tokenizer"] = serde_json::json!({"type": "Whitespace"});
    assert!(matches!(
        load(&v),
        Err(Error::Unsupported {
            what: "pre-tokenizer",
            ..
        })
    ));
    let mut v = gpt2_json();
    v["pre_tokenizer"] = serde_json::json!({"type": "Split", "pattern": {"Regex": "(?<=a)b"}, "behavior": "Isolated", "invert": false});
    assert!(matches!(load(&v), Err(Error::Regex { .. })));
}

#[test]
fn truncated_or_corrupt_model_is_a_protobuf_error() {
    let bytes = std::fs::read(fixture("spm_unigram.model")).unwrap();
    for cut in [1, 2, 7, 100, bytes.len() / 2, bytes.len() - 1] {
        let e = SentencePiece::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(matches!(e, Error::Protobuf { .. }), "cut {cut}: {e}");
    }
    // Field 1 (pieces) with wire type 0 instead of length-delimited.
    let e = SentencePiece::from_bytes(&[0x08, 0x01]).unwrap_err();
    assert!(matches!(e, Error::Protobuf { .. }), "{e}");
    // A length running past the end.
    let e = SentencePiece::from_bytes(&[0x0a, 0xff, 0x01, 0x00]).unwrap_err();
    assert!(matches!(e, Error::Protobuf { .. }), "{e}");
    // Empty file.
    assert!(Tokenizer::from_bytes(&[]).is_err());
}

#[test]
fn corrupted_bytes_never_panic() {
    let bytes = std::fs::read(fixture("spm_bpe.model")).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        let mut b = bytes.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state as usize) % b.len();
            b[i] = (state >> 32) as u8;
        }
        if let Ok(t) = SentencePiece::from_bytes(&b) {
            let _ = t.encode("Hello wörld 😀 <tool>", true);
        }
    }
}

#[test]
fn decode_rejects_unknown_ids() {
    let t = Tokenizer::from_file(fixture("gpt2.json")).unwrap();
    use realizar_tokenize::Tokenize;
    assert!(matches!(
        t.decode(&[1, 999_999], false),
        Err(Error::UnknownId { id: 999_999, .. })
    ));
}
