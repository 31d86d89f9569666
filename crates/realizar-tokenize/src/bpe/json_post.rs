//! Reading the output side of `tokenizer.json`: the post-processor (the
//! special tokens around a sequence) and the decoder chain.

use serde_json::Value;

use super::decode::Decoder;
use super::json::{flag, id, kind, obj, opt_string, replace_args, string, unsupported, wrong};
use super::normalize::PostProcessor;
use crate::error::{Error, Result};

/// Reads `post_processor` (the single-sequence template).
pub fn post_processor(
    v: Option<&Value>,
    vocab: &dyn Fn(&str) -> Option<u32>,
    out: &mut PostProcessor,
) -> Result<()> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let o = obj(v, "post_processor")?;
    match kind(o)? {
        "ByteLevel" => {}
        "Sequence" => {
            let list = o
                .get("processors")
                .ok_or(Error::MissingField("processors"))?;
            for p in list
                .as_array()
                .ok_or_else(|| wrong("processors", "an array", list))?
            {
                post_processor(Some(p), vocab, out)?;
            }
        }
        "RobertaProcessing" | "BertProcessing" => {
            for (key, side) in [("cls", 0), ("sep", 1)] {
                let pair = o.get(key).ok_or(Error::MissingField("cls/sep"))?;
                let id_v = pair.get(1).ok_or_else(|| wrong(key, "[token, id]", pair))?;
                let i = id(id_v, key)?;
                if side == 0 {
                    out.prefix.push(i)
                } else {
                    out.suffix.push(i)
                }
            }
        }
        "TemplateProcessing" => {
            let single = o.get("single").ok_or(Error::MissingField("single"))?;
            let items = single
                .as_array()
                .ok_or_else(|| wrong("single", "an array", single))?;
            let specials = o.get("special_tokens").and_then(Value::as_object);
            let mut seen_seq = false;
            for it in items {
                let io = obj(it, "single[]")?;
                if io.contains_key("Sequence") {
                    seen_seq = true;
                    continue;
                }
                let st = io
                    .get("SpecialToken")
                    .ok_or_else(|| wrong("single[]", "SpecialToken or Sequence", it))?;
                let name = string(obj(st, "SpecialToken")?, "id")?;
                let ids: Vec<u32> = match specials.and_then(|s| s.get(name)) {
                    Some(spec) => {
                        let list = spec
                            .get("ids")
                            .and_then(Value::as_array)
                            .ok_or_else(|| wrong("special_tokens.ids", "an array", spec))?;
                        list.iter()
                            .map(|x| id(x, "special_tokens.ids"))
                            .collect::<Result<_>>()?
                    }
                    None => vec![vocab(name).ok_or_else(|| {
                        Error::Vocab(format!("template token {name:?} is not in the vocabulary"))
                    })?],
                };
                if seen_seq {
                    out.suffix.extend(ids)
                } else {
                    out.prefix.extend(ids)
                }
            }
        }
        other => return Err(unsupported("post-processor", other)),
    }
    Ok(())
}

/// Reads `decoder`.
pub fn decoders(v: Option<&Value>, out: &mut Vec<Decoder>) -> Result<()> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let o = obj(v, "decoder")?;
    let d = match kind(o)? {
        "Sequence" => {
            let list = o.get("decoders").ok_or(Error::MissingField("decoders"))?;
            for d in list
                .as_array()
                .ok_or_else(|| wrong("decoders", "an array", list))?
            {
                decoders(Some(d), out)?;
            }
            return Ok(());
        }
        "ByteLevel" => Decoder::ByteLevel,
        "ByteFallback" => Decoder::ByteFallback,
        "Fuse" => Decoder::Fuse,
        "Replace" => {
            let (pattern, content) = replace_args(o)?;
            Decoder::Replace { pattern, content }
        }
        "Strip" => {
            let c = string(o, "content")?;
            let mut chars = c.chars();
            let (Some(content), None) = (chars.next(), chars.next()) else {
                return Err(wrong(
                    "Strip.content",
                    "one character",
                    &Value::String(c.into()),
                ));
            };
            let count = |k: &'static str| -> Result<usize> {
                let v = o.get(k).ok_or(Error::MissingField(k))?;
                v.as_u64()
                    .map(|n| n as usize)
                    .ok_or_else(|| wrong(k, "a count", v))
            };
            Decoder::Strip {
                content,
                start: count("start")?,
                stop: count("stop")?,
            }
        }
        "Metaspace" => {
            let r = string(o, "replacement")?;
            let replacement = r
                .chars()
                .next()
                .ok_or_else(|| wrong("replacement", "a character", &Value::String(r.into())))?;
            let scheme = opt_string(o, "prepend_scheme")?;
            let strip_first = match scheme.as_deref() {
                Some("never") => false,
                Some(_) => true,
                None => flag(o, "add_prefix_space", true)?,
            };
            Decoder::Metaspace {
                replacement,
                strip_first,
            }
        }
        other => return Err(unsupported("decoder", other)),
    };
    out.push(d);
    Ok(())
}
