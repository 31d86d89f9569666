//! Checks realizar-stats against numpy/scipy reference values.
//!
//! The fixture `tests/fixtures/stats_cases.json` is written by
//! `cd comparative && uv run python fixtures/stats_fixtures.py`.
//! Statistics must agree to 1e-9 relative (absolute where the reference is
//! 0), p-values to 1e-7 absolute; non-finite references must be matched
//! exactly (same infinity, or NaN). Run with `--nocapture` to see the
//! largest error per quantity.

use std::collections::BTreeMap;

use realizar_stats::{
    MwuMethod, Summary, cohens_d, hedges_g, log_ratio, mann_whitney_u, welch_t_test,
};
use serde_json::Value;

const REL: f64 = 1e-9;
const P_ABS: f64 = 1e-7;

fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("f64"),
        Value::String(s) => match s.as_str() {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            "nan" => f64::NAN,
            other => panic!("unexpected string {other}"),
        },
        other => panic!("not a number: {other}"),
    }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

#[derive(Default)]
struct Checker {
    max_err: BTreeMap<&'static str, f64>,
    failures: Vec<String>,
}

impl Checker {
    /// Relative error (absolute when the reference is 0) against `REL`.
    fn rel(&mut self, case: &str, what: &'static str, got: f64, want: &Value) {
        let want = num(want);
        let err = if want.is_nan() || want.is_infinite() {
            if got.is_nan() && want.is_nan() || got == want {
                0.0
            } else {
                f64::INFINITY
            }
        } else if want == 0.0 {
            got.abs()
        } else {
            ((got - want) / want).abs()
        };
        self.record(case, what, got, want, err, REL);
    }

    /// Absolute error against `P_ABS`.
    fn p(&mut self, case: &str, what: &'static str, got: f64, want: &Value) {
        let want = num(want);
        let err = if want.is_nan() {
            if got.is_nan() { 0.0 } else { f64::INFINITY }
        } else {
            (got - want).abs()
        };
        self.record(case, what, got, want, err, P_ABS);
    }

    fn record(&mut self, case: &str, what: &'static str, got: f64, want: f64, err: f64, tol: f64) {
        let e = self.max_err.entry(what).or_insert(0.0);
        *e = e.max(err);
        if err.is_nan() || err > tol {
            self.failures.push(format!(
                "{case}: {what}: got {got:e}, want {want:e} (err {err:e})"
            ));
        }
    }
}

fn check_summary(c: &mut Checker, case: &str, xs: &[f64], want: &Value) {
    let s = Summary::new(xs).expect("summary");
    assert_eq!(s.n as u64, want["n"].as_u64().unwrap(), "{case}");
    c.rel(case, "mean", s.mean, &want["mean"]);
    c.rel(case, "std", s.std_dev, &want["std"]);
    c.rel(case, "min/max", s.min, &want["min"]);
    c.rel(case, "min/max", s.max, &want["max"]);
    c.rel(case, "skewness", s.skewness, &want["skewness"]);
    for pv in want["percentiles"].as_array().unwrap() {
        let p = num(&pv[0]);
        c.rel(case, "percentile", s.percentile(p).unwrap(), &pv[1]);
        let field = match p {
            50.0 => Some(s.p50),
            95.0 => Some(s.p95),
            99.0 => Some(s.p99),
            _ => None,
        };
        if let Some(v) = field {
            c.rel(case, "p50/p95/p99", v, &pv[1]);
        }
    }
    for lv in want["mean_ci"].as_array().unwrap() {
        let ci = s.ci_mean(num(&lv[0])).unwrap();
        c.rel(case, "mean t-CI", ci.lower, &lv[1][0]);
        c.rel(case, "mean t-CI", ci.upper, &lv[1][1]);
        if num(&lv[0]) == 0.95 {
            assert_eq!(ci, s.mean_ci95, "{case}");
        }
    }
    let o = &s.outliers;
    let got = [o.low_severe, o.low_mild, o.high_mild, o.high_severe];
    let want: Vec<usize> = want["outliers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    if got.as_slice() != want.as_slice() {
        c.failures
            .push(format!("{case}: outliers {got:?} != {want:?}"));
    }
}

fn check_case(c: &mut Checker, case: &Value) {
    let name = case["name"].as_str().unwrap();
    let a = nums(&case["a"]);
    let b = nums(&case["b"]);
    check_summary(c, name, &a, &case["summary_a"]);
    check_summary(c, name, &b, &case["summary_b"]);

    let w = &case["welch"];
    let r = welch_t_test(&a, &b).unwrap();
    c.rel(name, "welch t", r.t, &w["t"]);
    c.rel(name, "welch df", r.df, &w["df"]);
    c.rel(name, "welch df (scipy)", r.df, &w["df_scipy"]);
    c.p(name, "welch p", r.p_value, &w["p"]);
    if let Some(ci) = w.get("ci95") {
        let got = r.ci(0.95).unwrap();
        c.rel(name, "welch CI", got.lower, &ci[0]);
        c.rel(name, "welch CI", got.upper, &ci[1]);
    }

    let m = &case["mann_whitney"];
    let r = mann_whitney_u(&a, &b).unwrap();
    c.rel(name, "mwu U", r.u_statistic, &m["u"]);
    c.p(name, "mwu p", r.p_value, &m["p"]);
    c.rel(name, "mwu z", r.z, &m["z"]);
    c.rel(name, "rank-biserial", r.effect_size, &m["rank_biserial"]);
    let method = match r.method {
        MwuMethod::Exact => "exact",
        _ => "asymptotic",
    };
    if method != m["method"].as_str().unwrap() {
        c.failures.push(format!("{name}: mwu method {method}"));
    }

    let e = &case["effect"];
    c.rel(name, "cohens d", cohens_d(&a, &b).unwrap(), &e["cohens_d"]);
    c.rel(name, "hedges g", hedges_g(&a, &b).unwrap(), &e["hedges_g"]);

    match case.get("log_ratio") {
        Some(l) => {
            let r = log_ratio(&a, &b, 0.95).unwrap();
            c.rel(name, "log ratio", r.ratio, &l["ratio"]);
            c.p(name, "log ratio p", r.welch.p_value, &l["p"]);
            if let Some(ci) = l.get("ci95") {
                c.rel(name, "log ratio CI", r.ci.lower, &ci[0]);
                c.rel(name, "log ratio CI", r.ci.upper, &ci[1]);
            }
        }
        None => assert!(
            log_ratio(&a, &b, 0.95).is_err(),
            "{name}: expected NonPositive"
        ),
    }
}

#[test]
fn matches_numpy_and_scipy() {
    let text = include_str!("fixtures/stats_cases.json");
    let doc: Value = serde_json::from_str(text).expect("valid fixture JSON");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let mut c = Checker::default();
    for case in cases {
        check_case(&mut c, case);
    }
    println!(
        "{} cases, numpy {}, scipy {}; largest error per quantity:",
        cases.len(),
        doc["numpy"].as_str().unwrap_or("?"),
        doc["scipy"].as_str().unwrap_or("?")
    );
    for (what, err) in &c.max_err {
        println!("  {what:<18} {err:.3e}");
    }
    assert!(
        c.failures.is_empty(),
        "{} mismatches:\n{}",
        c.failures.len(),
        c.failures.join("\n")
    );
}
