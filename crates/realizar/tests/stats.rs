//! `realizar stats compare` as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn realizar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_realizar"))
        .args(args)
        .output()
        .expect("run realizar")
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stats-cli");
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn lines(xs: &[f64]) -> String {
    xs.iter().map(|x| format!("{x}\n")).collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn json_has_the_documented_shape() {
    let before: Vec<f64> = (0..40).map(|i| 100.0 + (i % 9) as f64).collect();
    let after: Vec<f64> = before.iter().map(|x| x * 0.9).collect();
    let c = tmp("before.txt", &lines(&before));
    let t = tmp("after.json", &serde_json::to_string(&after).unwrap());
    let o = realizar(&["stats", "compare", s(&c), s(&t), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&v),
        [
            "cohens_d",
            "control",
            "mann_whitney",
            "recommendation",
            "treatment",
            "welch"
        ]
    );
    for side in ["control", "treatment"] {
        assert_eq!(
            keys(&v[side]),
            [
                "ci95", "max", "mean", "min", "n", "p50", "p95", "p99", "std"
            ]
        );
        assert_eq!(v[side]["n"], 40);
        assert_eq!(v[side]["ci95"].as_array().unwrap().len(), 2);
    }
    assert_eq!(keys(&v["welch"]), ["df", "p_value", "t"]);
    assert_eq!(
        keys(&v["mann_whitney"]),
        ["effect_size", "p_value", "u_statistic"]
    );
    assert_eq!(keys(&v["recommendation"]), ["confidence", "kind"]);
    // Lower is better by default: 10% less is the treatment winning.
    assert_eq!(v["recommendation"]["kind"], "treatment_better");
    assert!(v["recommendation"]["confidence"].as_f64().unwrap() > 0.95);
    // The numbers are the library's.
    let w = realizar_stats::welch_t_test(&before, &after).unwrap();
    assert_eq!(v["welch"]["t"].as_f64().unwrap(), w.t);
    assert_eq!(v["welch"]["df"].as_f64().unwrap(), w.df);
    let m = realizar_stats::mann_whitney_u(&before, &after).unwrap();
    assert_eq!(
        v["mann_whitney"]["u_statistic"].as_f64().unwrap(),
        m.u_statistic
    );
    assert_eq!(
        v["cohens_d"].as_f64().unwrap(),
        realizar_stats::cohens_d(&before, &after).unwrap()
    );
    let sc = realizar_stats::Summary::new(&before).unwrap();
    assert_eq!(v["control"]["mean"].as_f64().unwrap(), sc.mean);
    assert_eq!(v["control"]["p99"].as_f64().unwrap(), sc.p99);

    // Throughput: higher is better, so the same change is the control winning.
    let o = realizar(&[
        "stats",
        "compare",
        s(&c),
        s(&t),
        "--json",
        "--higher-is-better",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["recommendation"]["kind"], "control_better");

    // Same data: no difference, and no confidence.
    let o = realizar(&["stats", "compare", s(&c), s(&c), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["recommendation"]["kind"], "no_significant_difference");
    assert!(v["recommendation"]["confidence"].is_null());
}

#[test]
fn text_report() {
    let c = tmp("c.txt", "10\n11\n12\n10.5\n11.5\n");
    let t = tmp("t.txt", "13\n14\n13.5\n14.5\n15\n");
    let o = realizar(&["stats", "compare", s(&c), s(&t), "--alpha", "0.01"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "Welch's t-test",
        "Mann-Whitney U",
        "Cohen's d",
        "verdict",
        "(99% interval)",
        "by Mann-Whitney U",
        "small samples",
    ] {
        assert!(text.contains(needle), "{needle}:\n{text}");
    }
}

fn one_line_error(args: &[&str]) -> String {
    let o = realizar(args);
    assert_eq!(o.status.code(), Some(1), "{args:?}");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn bad_input_names_file_and_line() {
    let good = tmp("good.txt", &lines(&[1.0, 2.0, 3.0]));
    let empty = tmp("empty.txt", "");
    let err = one_line_error(&["stats", "compare", s(&empty), s(&good)]);
    assert!(
        err.contains("empty.txt:1: no numbers (empty file)"),
        "{err}"
    );

    let mut text = lines(&(0..16).map(f64::from).collect::<Vec<_>>());
    text.push_str("12.5ms\n20\n");
    let bad = tmp("line17.txt", &text);
    let err = one_line_error(&["stats", "compare", s(&good), s(&bad)]);
    assert!(
        err.contains("line17.txt:17: not a number: \"12.5ms\""),
        "{err}"
    );

    let single = tmp("single.txt", "\n42\n");
    let err = one_line_error(&["stats", "compare", s(&single), s(&good)]);
    assert!(
        err.contains("single.txt:2: only 1 value; at least 2 are needed"),
        "{err}"
    );

    let badjson = tmp("bad.json", "[1, 2,\n \"x\"]");
    let err = one_line_error(&["stats", "compare", s(&good), s(&badjson)]);
    assert!(err.contains("bad.json:2:"), "{err}");

    let err = one_line_error(&["stats", "compare", "/no/such.txt", s(&good)]);
    assert!(err.contains("/no/such.txt: cannot read"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let good = tmp("u.txt", "1\n2\n");
    for alpha in ["0", "1", "-0.1", "x"] {
        let o = realizar(&["stats", "compare", s(&good), s(&good), "--alpha", alpha]);
        assert_eq!(o.status.code(), Some(2), "alpha {alpha}");
    }
    assert_eq!(
        realizar(&["stats", "compare", s(&good)]).status.code(),
        Some(2)
    );
    assert_eq!(realizar(&["stats"]).status.code(), Some(2));
}
