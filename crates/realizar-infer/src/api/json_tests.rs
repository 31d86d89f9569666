//! The fast path agrees with `serde_json` on every input: same value when
//! both accept, an error whenever `serde_json` errs.

use super::super::{BatchPredictRequest, PredictRequest};
use super::{FORCED_PATH, NumberPath, fast_batch, fast_predict};
use proptest::prelude::*;

fn serde_predict(b: &[u8]) -> Option<PredictRequest> {
    serde_json::from_slice(b).ok()
}

/// Bit-exact comparison (NaN never occurs; -0.0 vs 0.0 matters).
fn same(a: &PredictRequest, b: &PredictRequest) -> bool {
    a.model_id == b.model_id
        && a.options == b.options
        && a.features.len() == b.features.len()
        && a.features
            .iter()
            .zip(&b.features)
            .all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The readers of number arrays this CPU can run.
fn paths() -> Vec<NumberPath> {
    #[allow(unused_mut)]
    let mut v = vec![NumberPath::Scalar];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("sse4.1") {
        v.push(NumberPath::Sse41);
    }
    v
}

/// `f` once under each path (forced for this thread).
fn on_each_path<T>(f: impl Fn() -> T) -> Vec<(NumberPath, T)> {
    paths()
        .into_iter()
        .map(|p| {
            FORCED_PATH.with(|c| c.set(Some(p)));
            let r = f();
            FORCED_PATH.with(|c| c.set(None));
            (p, r)
        })
        .collect()
}

/// On every path: what the fast path accepts, serde_json accepts with the
/// same value; the public parser accepts exactly what serde_json does.
/// Returns whether the fast path accepted the body on every path.
fn check(body: &str) -> bool {
    let slow = serde_predict(body.as_bytes());
    let mut all = true;
    for (path, (fast, public)) in on_each_path(|| {
        (
            fast_predict(body.as_bytes()),
            PredictRequest::from_json(body.as_bytes()).ok(),
        )
    }) {
        if let Some(f) = &fast {
            let s = slow.as_ref().unwrap_or_else(|| {
                panic!("{path:?}: fast path accepted what serde_json refuses: {body}")
            });
            assert!(same(f, s), "{path:?}: {body}: fast {f:?} serde {s:?}");
        }
        all &= fast.is_some();
        assert_eq!(public.is_some(), slow.is_some(), "{path:?}: {body}");
    }
    all
}

/// `n` as the only feature and in a long body, where every number has the
/// 16 bytes of lookahead the short-number kernel needs.
fn check_number(n: &str) {
    check(&format!(r#"{{"features": [{n}]}}"#));
    check(&format!(
        r#"{{"features": [{n}, {n},{n}], "model_id": "sixteen-bytes-of-padding"}}"#
    ));
}

#[test]
fn usual_bodies_take_the_fast_path() {
    for body in [
        r#"{"features": [1, 2.5, -3e2, 0.12156863, -0]}"#,
        r#"{"model_id": "mnist-v1", "features": [0.5], "options": {"return_probabilities": true}}"#,
        r#" { "features" : [ ] , "model_id" : null , "options" : null } "#,
        r#"{"options": {}, "features": [1E+2, 1e-2, 123456789012345678901234567890]}"#,
        "{\"features\":\t[\n1,\r2]}",
    ] {
        assert!(fast_predict(body.as_bytes()).is_some(), "{body}");
        check(body);
    }
}

#[test]
fn everything_else_is_left_to_serde() {
    for body in [
        "",
        "{",
        "[]",
        r#"{"features": [01]}"#,
        r#"{"features": [1.]}"#,
        r#"{"features": [.5]}"#,
        r#"{"features": [1e]}"#,
        r#"{"features": [1e+]}"#,
        r#"{"features": [-]}"#,
        r#"{"features": [+1]}"#,
        r#"{"features": [1,]}"#,
        r#"{"features": [1 2]}"#,
        r#"{"features": [NaN]}"#,
        r#"{"features": [Infinity]}"#,
        r#"{"features": [1e400]}"#,
        r#"{"features": ["1"]}"#,
        r#"{"features": [1], "features": [2]}"#,
        r#"{"features": [1]} x"#,
        r#"{"features": [1], "extra": 5}"#,
        r#"{"model_id": "a\"b", "features": [1]}"#,
        r#"{"model_id": "caf\u00e9", "features": [1]}"#,
        r#"{"model_id": 5, "features": [1]}"#,
        r#"{"options": {"return_probabilities": 1}, "features": [1]}"#,
        r#"{"options": {"return_probabilities": true, "x": 1}, "features": [1]}"#,
        r#"{"model_id": "x"}"#,
        r#"{"features": [1],}"#,
        r#"{,"features": [1]}"#,
    ] {
        check(body);
    }
    // Unknown keys are ignored by serde_json, so the public parser accepts them.
    let r = PredictRequest::from_json(br#"{"features": [1], "extra": {"a": [1, 2]}}"#).unwrap();
    assert_eq!(r.features, vec![1.0]);
    // Escaped strings come out unescaped (through serde_json).
    let r = PredictRequest::from_json(br#"{"model_id": "a\"b", "features": []}"#).unwrap();
    assert_eq!(r.model_id.as_deref(), Some("a\"b"));
}

#[test]
fn huge_and_tiny_numbers_round_like_serde() {
    for n in [
        "3.4028235e38",
        "3.4028236e38",
        "1e39",
        "-1e39",
        "1.7976931348623157e308",
        "1e-45",
        "7e-46",
        "1e-400",
        "9007199254740993",
        "9007199254740993e-5",
        "0.30000000000000004",
        "123456789012345678901234567890e-30",
        "0.000000000000000000000000000000000000000000001",
        "4.9406564584124654e-324",
    ] {
        check(&format!(r#"{{"features": [{n}]}}"#));
    }
}

#[test]
fn batches_match_serde() {
    for body in [
        r#"{"instances": [{"features": [1, 2]}, {"features": [3.5]}]}"#,
        r#"{"model_id": "m", "instances": [], "options": {"return_probabilities": false}}"#,
        r#"{"instances": [{"features": [1]}, ]}"#,
        r#"{"instances": [{"features": [1], "features": [2]}]}"#,
        r#"{"instances": [{}]}"#,
        r#"{"instances": [{"x": 1, "features": [2]}]}"#,
    ] {
        let fast = fast_batch(body.as_bytes());
        let slow: Option<BatchPredictRequest> = serde_json::from_slice(body.as_bytes()).ok();
        if let Some(f) = &fast {
            assert_eq!(Some(f), slow.as_ref(), "{body}");
        }
        assert_eq!(
            BatchPredictRequest::from_json(body.as_bytes()).ok(),
            slow,
            "{body}"
        );
    }
    assert!(fast_batch(br#"{"instances": [{"features": [1, 2]}, {"features": [3.5]}]}"#).is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any f32, written as serde_json writes it (shortest round trip).
    #[test]
    fn any_f32_reads_back_exactly(bits in any::<u32>()) {
        let v = f32::from_bits(bits);
        prop_assume!(v.is_finite());
        let text = serde_json::to_string(&v).unwrap();
        let body = format!(r#"{{"features": [{text}], "model_id": "sixteen-bytes-of-padding"}}"#);
        let f = fast_predict(body.as_bytes()).expect("a written f32 takes the fast path");
        prop_assert_eq!(f.features[0].to_bits(), bits);
        check_number(&text);
    }

    /// Decimal texts of many shapes: the fast path agrees with serde_json.
    #[test]
    fn decimal_texts_agree(
        neg in any::<bool>(),
        int in "(0|[1-9][0-9]{0,24})",
        frac in proptest::option::of("[0-9]{1,30}"),
        exp in proptest::option::of((prop::sample::select(vec!["e", "E"]), prop::sample::select(vec!["", "+", "-"]), 0u32..400)),
    ) {
        let mut n = String::new();
        if neg { n.push('-'); }
        n.push_str(&int);
        if let Some(f) = frac { n.push('.'); n.push_str(&f); }
        if let Some((e, s, x)) = exp { n.push_str(&format!("{e}{s}{x}")); }
        check(&format!(r#"{{"features": [{n}, {n}]}}"#));
        check_number(&n);
    }

    /// Arbitrary bytes never make the fast path accept what serde refuses.
    #[test]
    fn random_bodies_never_disagree(body in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Some(f) = fast_predict(&body) {
            let s = serde_json::from_slice::<PredictRequest>(&body).expect("serde accepts it too");
            prop_assert!(same(&f, &s));
        }
    }

    /// Mutated valid bodies (a byte replaced by JSON punctuation).
    #[test]
    fn mutated_bodies_never_disagree(at in 0usize..60, c in prop::sample::select(b"[]{},:\"-+.eE0 1tn\\".to_vec())) {
        let mut body = br#"{"model_id": "m", "features": [1.5, -2e3, 0, 0.25, 12.125, 7], "options": null}"#.to_vec();
        let at = at % body.len();
        body[at] = c;
        if let Some(f) = fast_predict(&body) {
            let s = serde_json::from_slice::<PredictRequest>(&body).expect("serde accepts it too");
            prop_assert!(same(&f, &s));
        }
    }
}

#[test]
fn eight_digit_chunks() {
    use super::{all_digits, eight_digits};
    for s in ["00000000", "12345678", "99999999", "10000001", "00000009"] {
        let v = u64::from_le_bytes(s.as_bytes().try_into().unwrap());
        assert!(all_digits(v), "{s}");
        assert_eq!(eight_digits(v), s.parse::<u64>().unwrap(), "{s}");
    }
    for s in [
        "1234567.",
        "/2345678",
        ":2345678",
        "1234567:",
        "12 45678",
        "\x00\x00\x00\x00\x00\x00\x00\x00",
    ] {
        let v = u64::from_le_bytes(s.as_bytes().try_into().unwrap());
        assert!(!all_digits(v), "{s:?}");
    }
}

proptest! {
    #[test]
    fn any_eight_bytes(b in any::<[u8; 8]>()) {
        let v = u64::from_le_bytes(b);
        let digits = b.iter().all(u8::is_ascii_digit);
        prop_assert_eq!(all_digits_of(v), digits);
        if digits {
            prop_assert_eq!(super::eight_digits(v), std::str::from_utf8(&b).unwrap().parse::<u64>().unwrap());
        }
    }
}

fn all_digits_of(v: u64) -> bool {
    super::all_digits(v)
}

proptest! {
    /// The digit-prefix length of any 8 bytes.
    #[test]
    fn digit_prefix_of_any_bytes(b in any::<[u8; 8]>()) {
        let want = b.iter().take_while(|c| c.is_ascii_digit()).count();
        prop_assert_eq!(super::digit_prefix(u64::from_le_bytes(b)), want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// Away from f32 midpoints, `m * fl(10^-k)` converts to the correctly
    /// rounded f32 of `m / 10^k` (the standard library's parse as reference).
    #[test]
    fn reciprocal_gives_the_correct_f32(m in 1u64..(1 << 53), k in 1usize..=22) {
        let v = m as f64 * super::INV_POW10[k];
        let want: f32 = format!("{m}e-{k}").parse().unwrap();
        prop_assert!(super::near_f32_midpoint(v) || (v as f32).to_bits() == want.to_bits());
    }

    /// Exact f32 rounding midpoints, written out in full decimal: ties
    /// resolve as serde_json resolves them.
    #[test]
    fn f32_midpoints_round_like_serde(bits in 0x3000_0000u32..0x4B00_0000) {
        let a = f32::from_bits(bits);
        let b = f32::from_bits(bits + 1);
        let mid = (f64::from(a) + f64::from(b)) / 2.0;
        // 40 fraction digits write these midpoints exactly.
        check_number(&format!("{mid:.40}"));
        // And with trailing zeros trimmed (the shortest exact text).
        let text = format!("{mid:.40}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        check_number(text);
        // And cut to 15 bytes: near (not at) the midpoint, within reach of
        // the short-number kernel, whose midpoint guard then decides.
        let short: String = text.chars().take(15).collect();
        check_number(short.trim_end_matches('.'));
    }
}

/// One feature as clients write them: an f32's shortest text, a pixel
/// value, or a decimal of any shape (sign, exponent, up to 17 digits).
fn element() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<u32>().prop_filter_map("finite", |b| {
            let v = f32::from_bits(b);
            v.is_finite().then(|| serde_json::to_string(&v).unwrap())
        }),
        4 => (0u32..256).prop_map(|k| serde_json::to_string(&(k as f32 / 255.0)).unwrap()),
        2 => "-?(0|[1-9][0-9]{0,16})(\\.[0-9]{1,16})?([eE][+-]?[0-9])?",
        1 => prop::sample::select(vec![" 1", "2 ", "\t-3.5 ", "0", "-0", "0.0", "1.0"]).prop_map(String::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Long arrays of valid numbers, at every alignment to the 64-byte
    /// blocks of the separator bitmap: every path reads them as serde_json.
    #[test]
    fn long_arrays_agree(elems in proptest::collection::vec(element(), 1..160), pad in 0usize..70) {
        let body = format!(r#"{{"model_id": "{}", "features": [{}]}}"#, "p".repeat(pad), elems.join(","));
        prop_assert!(check(&body), "a valid body left to serde: {}", body);
    }

    /// The same with one element broken (or a separator doubled): the
    /// paths refuse it as serde_json does, wherever it falls.
    #[test]
    fn long_arrays_with_a_flaw(
        elems in proptest::collection::vec(element(), 1..120),
        at in any::<prop::sample::Index>(),
        flaw in prop::sample::select(vec!["01", "1.", ".5", "1..2", "--1", "", "1e", "x", "1.2.3", "00.5", "+1", "0x10", "1,", "[1]", "\"1\"", "1-", "9999999999999999.5.1", "1 2", "- 1"]),
    ) {
        let mut elems = elems;
        let k = at.index(elems.len() + 1);
        elems.insert(k, flaw.to_string());
        let body = format!(r#"{{"features": [{}], "model_id": "m"}}"#, elems.join(","));
        check(&body);
    }
}
