//! Reading `tokenizer.json` (the HF `tokenizers` format) into the parts of
//! an [`HfTokenizer`](super::HfTokenizer). Every field is checked for its
//! type; anything we do not implement is an [`Error::Unsupported`] rather
//! than a silent difference.

use serde_json::{Map, Value};

use super::added::AddedToken;
use super::normalize::Normalizer;
use super::pretokenize::{GPT2_PATTERN, PreTokenizer, SplitBehavior, SplitRegex};
use crate::error::{Error, Result};
use crate::hash::FxHashMap;

/// The model section.
#[derive(Debug)]
pub struct ModelJson {
    pub vocab: FxHashMap<String, u32>,
    pub merges: Vec<(String, String)>,
    pub unk: Option<String>,
    pub fuse_unk: bool,
    pub byte_fallback: bool,
    pub ignore_merges: bool,
}

pub(super) fn wrong(field: &str, want: &str, v: &Value) -> Error {
    let mut shown = v.to_string();
    if shown.len() > 60 {
        let mut cut = 60;
        while !shown.is_char_boundary(cut) {
            cut -= 1;
        }
        shown.truncate(cut);
        shown.push('…');
    }
    Error::Json(format!("{field}: expected {want}, found {shown}"))
}

pub(super) fn obj<'a>(v: &'a Value, field: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| wrong(field, "an object", v))
}

pub(super) fn string<'a>(o: &'a Map<String, Value>, key: &'static str) -> Result<&'a str> {
    let v = o.get(key).ok_or(Error::MissingField(key))?;
    v.as_str().ok_or_else(|| wrong(key, "a string", v))
}

pub(super) fn opt_string(o: &Map<String, Value>, key: &'static str) -> Result<Option<String>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(wrong(key, "a string or null", v)),
    }
}

pub(super) fn flag(o: &Map<String, Value>, key: &'static str, default: bool) -> Result<bool> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(wrong(key, "a boolean", v)),
    }
}

pub(super) fn id(v: &Value, field: &str) -> Result<u32> {
    v.as_u64()
        .filter(|&n| n < (1 << 24))
        .map(|n| n as u32)
        .ok_or_else(|| wrong(field, "an id below 2^24", v))
}

pub(super) fn kind(o: &Map<String, Value>) -> Result<&str> {
    string(o, "type")
}

pub(super) fn unsupported(what: &'static str, found: impl Into<String>) -> Error {
    Error::Unsupported {
        what,
        found: found.into(),
    }
}

/// Reads the `model` object (type BPE).
pub fn model(v: &Value) -> Result<ModelJson> {
    let o = obj(v, "model")?;
    match o.get("type").and_then(Value::as_str) {
        Some("BPE") | None => {}
        Some(other) => return Err(unsupported("model", other)),
    }
    for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
        if let Some(Value::String(s)) = o.get(key)
            && !s.is_empty()
        {
            return Err(unsupported("BPE option", format!("{key} = {s:?}")));
        }
    }
    if let Some(d) = o.get("dropout")
        && !d.is_null()
        && d.as_f64() != Some(0.0)
    {
        return Err(unsupported("BPE option", format!("dropout = {d}")));
    }
    let vocab_v = o.get("vocab").ok_or(Error::MissingField("model.vocab"))?;
    let mut vocab = FxHashMap::default();
    for (tok, i) in obj(vocab_v, "model.vocab")? {
        vocab.insert(tok.clone(), id(i, "model.vocab")?);
    }
    let merges_v = o.get("merges").ok_or(Error::MissingField("model.merges"))?;
    let list = merges_v
        .as_array()
        .ok_or_else(|| wrong("model.merges", "an array", merges_v))?;
    let mut merges = Vec::with_capacity(list.len());
    for (index, m) in list.iter().enumerate() {
        let bad = || Error::BadMerge {
            index,
            found: m.to_string(),
        };
        let pair = match m {
            Value::String(s) => {
                let (a, b) = s.split_once(' ').ok_or_else(bad)?;
                (a.to_owned(), b.to_owned())
            }
            Value::Array(a) if a.len() == 2 => match (&a[0], &a[1]) {
                (Value::String(x), Value::String(y)) => (x.clone(), y.clone()),
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        };
        merges.push(pair);
    }
    Ok(ModelJson {
        vocab,
        merges,
        unk: opt_string(o, "unk_token")?,
        fuse_unk: flag(o, "fuse_unk", false)?,
        byte_fallback: flag(o, "byte_fallback", false)?,
        ignore_merges: flag(o, "ignore_merges", false)?,
    })
}

/// Reads `added_tokens`.
pub fn added_tokens(v: Option<&Value>) -> Result<Vec<AddedToken>> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list = v
        .as_array()
        .ok_or_else(|| wrong("added_tokens", "an array", v))?;
    let mut out = Vec::with_capacity(list.len());
    for t in list {
        let o = obj(t, "added_tokens[]")?;
        if flag(o, "single_word", false)? {
            return Err(unsupported("added token option", "single_word = true"));
        }
        out.push(AddedToken {
            content: string(o, "content")?.to_owned(),
            id: id(
                o.get("id")
                    .ok_or(Error::MissingField("added_tokens[].id"))?,
                "id",
            )?,
            special: flag(o, "special", false)?,
            lstrip: flag(o, "lstrip", false)?,
            rstrip: flag(o, "rstrip", false)?,
            normalized: flag(o, "normalized", true)?,
        });
    }
    Ok(out)
}

/// Reads `normalizer` (null, one step or a Sequence).
pub fn normalizers(v: Option<&Value>, out: &mut Vec<Normalizer>) -> Result<()> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let o = obj(v, "normalizer")?;
    let n = match kind(o)? {
        "Sequence" => {
            let list = o
                .get("normalizers")
                .ok_or(Error::MissingField("normalizers"))?;
            for n in list
                .as_array()
                .ok_or_else(|| wrong("normalizers", "an array", list))?
            {
                normalizers(Some(n), out)?;
            }
            return Ok(());
        }
        "NFC" => Normalizer::Nfc,
        "NFD" => Normalizer::Nfd,
        "NFKC" => Normalizer::Nfkc,
        "NFKD" => Normalizer::Nfkd,
        "Lowercase" => Normalizer::Lowercase,
        "Prepend" => Normalizer::Prepend(string(o, "prepend")?.to_owned()),
        "Replace" => {
            let (pattern, content) = replace_args(o)?;
            Normalizer::Replace { pattern, content }
        }
        "Strip" => Normalizer::Strip {
            left: flag(o, "strip_left", true)?,
            right: flag(o, "strip_right", true)?,
        },
        other => return Err(unsupported("normalizer", other)),
    };
    out.push(n);
    Ok(())
}

pub(super) fn replace_args(o: &Map<String, Value>) -> Result<(String, String)> {
    let p = o.get("pattern").ok_or(Error::MissingField("pattern"))?;
    let pattern = match obj(p, "pattern")?.get("String") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(unsupported("Replace pattern", p.to_string())),
    };
    Ok((pattern, string(o, "content")?.to_owned()))
}

/// Reads `pre_tokenizer`.
pub fn pre_tokenizers(v: Option<&Value>, out: &mut Vec<PreTokenizer>) -> Result<()> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let o = obj(v, "pre_tokenizer")?;
    let p = match kind(o)? {
        "Sequence" => {
            let list = o
                .get("pretokenizers")
                .ok_or(Error::MissingField("pretokenizers"))?;
            for p in list
                .as_array()
                .ok_or_else(|| wrong("pretokenizers", "an array", list))?
            {
                pre_tokenizers(Some(p), out)?;
            }
            return Ok(());
        }
        "ByteLevel" => PreTokenizer::ByteLevel {
            add_prefix_space: flag(o, "add_prefix_space", true)?,
            regex: if flag(o, "use_regex", true)? {
                Some(SplitRegex::new(GPT2_PATTERN)?)
            } else {
                None
            },
        },
        "Split" => {
            let p = o.get("pattern").ok_or(Error::MissingField("pattern"))?;
            let po = obj(p, "pattern")?;
            let regex = match (po.get("Regex"), po.get("String")) {
                (Some(Value::String(r)), _) => SplitRegex::new(r)?,
                (_, Some(Value::String(s))) => SplitRegex::new(&regex::escape(s))?,
                _ => return Err(wrong("pattern", "{\"Regex\"|\"String\": ...}", p)),
            };
            let behavior = match string(o, "behavior")? {
                "Isolated" => SplitBehavior::Isolated,
                "Removed" => SplitBehavior::Removed,
                "MergedWithPrevious" => SplitBehavior::MergedWithPrevious,
                "MergedWithNext" => SplitBehavior::MergedWithNext,
                other => return Err(unsupported("Split behavior", other)),
            };
            PreTokenizer::Split {
                regex,
                behavior,
                invert: flag(o, "invert", false)?,
            }
        }
        "Digits" => PreTokenizer::Digits {
            individual: flag(o, "individual_digits", false)?,
        },
        other => return Err(unsupported("pre-tokenizer", other)),
    };
    out.push(p);
    Ok(())
}
