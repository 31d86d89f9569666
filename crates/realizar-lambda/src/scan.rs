//! The keys of a JSON object, found without parsing its values: values
//! are skipped with `memchr` jumps (a flat array of 784 numbers is one jump
//! to its `]`), so telling an event's kind costs far less than parsing it.
//!
//! This does not validate: it only has to find the keys of well-formed
//! JSON. Text it cannot follow gives `None` (the caller then asks serde,
//! which names the error); anything it misreads in malformed text is caught
//! by the typed parse that follows, which validates everything.

use memchr::{memchr2, memchr3};
use std::borrow::Cow;

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(c) = b.get(i) {
        if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        i += 1;
    }
    i
}

/// `b[i]` is the opening quote: the index just past the closing one.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        let k = j + memchr2(b'"', b'\\', b.get(j..)?)?;
        if b[k] == b'"' {
            return Some(k + 1);
        }
        j = k + 2; // the escaped byte; `\uXXXX` digits need no care
    }
}

/// `b[i]` is `open` (`[` or `{`): the index just past its `close`.
fn skip_nested(b: &[u8], i: usize, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    loop {
        let k = j + memchr3(b'"', open, close, b.get(j..)?)?;
        match b[k] {
            b'"' => j = skip_string(b, k)?,
            c if c == open => {
                depth += 1;
                j = k + 1;
            }
            _ => {
                depth -= 1;
                j = k + 1;
                if depth == 0 {
                    return Some(j);
                }
            }
        }
    }
}

/// `b[i]` starts a value: the index just past it.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'[' => skip_nested(b, i, b'[', b']'),
        b'{' => skip_nested(b, i, b'{', b'}'),
        _ => {
            // A number, true, false or null: up to the next delimiter.
            let rest = b.get(i..)?;
            let mut end = memchr3(b',', b'}', b']', rest).unwrap_or(rest.len());
            while end > 0 && rest[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            (end > 0).then_some(i + end)
        }
    }
}

/// Calls `f(key, value)` for each member of the object in `b` (leading
/// whitespace allowed; keys unescaped, values as raw text). `None` when
/// `b` is not an object this scanner can follow.
pub(crate) fn for_each_member<'a>(
    b: &'a [u8],
    mut f: impl FnMut(&Cow<'a, str>, &'a [u8]),
) -> Option<()> {
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Some(());
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let end = skip_string(b, i)?;
        let raw = &b[i + 1..end - 1];
        let key: Cow<'a, str> = if raw.contains(&b'\\') {
            Cow::Owned(serde_json::from_slice::<String>(&b[i..end]).ok()?)
        } else {
            Cow::Borrowed(std::str::from_utf8(raw).ok()?)
        };
        i = skip_ws(b, end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let v_end = skip_value(b, i)?;
        f(&key, &b[i..v_end]);
        i = skip_ws(b, v_end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Some(()),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Option<Vec<(String, String)>> {
        let mut v = Vec::new();
        for_each_member(s.as_bytes(), |k, val| {
            v.push((k.to_string(), String::from_utf8_lossy(val).into_owned()))
        })?;
        Some(v)
    }

    #[test]
    fn finds_keys_and_raw_values() {
        let k = keys(r#" { "a" : [1, [2, "]"], {"x": "}"}] , "b":"s\"}", "c": 1.5e3 ,"d":{"e":[]},"f":null} "#)
            .unwrap();
        let names: Vec<&str> = k.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d", "f"]);
        assert_eq!(k[0].1, r#"[1, [2, "]"], {"x": "}"}]"#);
        assert_eq!(k[1].1, r#""s\"}""#);
        assert_eq!(k[2].1, "1.5e3");
        assert_eq!(k[3].1, r#"{"e":[]}"#);
        assert_eq!(k[4].1, "null");
    }

    #[test]
    fn escaped_keys_are_unescaped() {
        let k = keys(r#"{"feat\u0075res": [1]}"#).unwrap();
        assert_eq!(k[0].0, "features");
    }

    #[test]
    fn empty_objects_and_non_objects() {
        assert_eq!(keys("{}").unwrap(), vec![]);
        assert_eq!(keys(" { } ").unwrap(), vec![]);
        for bad in [
            "",
            "[1]",
            "42",
            "\"s\"",
            "{",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":[1,2",
            "{\"a\" 1}",
            "{1:2}",
        ] {
            assert_eq!(keys(bad), None, "{bad:?}");
        }
        // Not validated: a scalar runs to the next delimiter. The typed
        // parse after the scan refuses such text.
        assert_eq!(keys(r#"{"a":1 "b":2}"#).unwrap().len(), 1);
    }

    #[test]
    fn never_panics_on_truncations_of_a_real_event() {
        let ev = r#"{"version":"2.0","requestContext":{"domainName":"x.lambda-url.us-east-1.on.aws","http":{"method":"POST"}},"body":"{\"features\": [1, 2]}","isBase64Encoded":false}"#;
        for n in 0..=ev.len() {
            let _ = keys(&ev[..n]);
        }
        assert_eq!(keys(ev).unwrap().len(), 4);
    }
}
