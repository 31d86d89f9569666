//! `realizar bench` as a user runs it. Running a suite takes minutes, so
//! the judging is tested on committed criterion output
//! (`crates/realizar-viz/tests/fixtures/criterion/`) through
//! `--criterion-dir`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn realizar_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_realizar"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run realizar")
}

fn realizar(args: &[&str]) -> Output {
    realizar_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../realizar-viz/tests/fixtures/criterion/verdict_fixture/spin")
        .join(name)
}

/// A criterion folder whose `base` baseline is the fixture's `base` run
/// and whose latest run (`new`) is the fixture's `latest` run.
/// `test` names the folder, so tests running in parallel don't share one.
fn criterion_dir(latest: &str, test: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-cli-{test}"));
    let _ = std::fs::remove_dir_all(&root);
    for (from, to) in [("base", "base"), (latest, "new")] {
        let dest = root.join("verdict_fixture/spin").join(to);
        std::fs::create_dir_all(&dest).unwrap();
        for f in ["benchmark.json", "estimates.json", "sample.json"] {
            std::fs::copy(fixture(from).join(f), dest.join(f)).unwrap();
        }
    }
    root
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn list_shows_the_six_suites() {
    let o = realizar(&["bench", "--list"]);
    assert!(o.status.success());
    let (out, _) = text(&o);
    for suite in [
        "tensor_ops",
        "inference",
        "cache",
        "tokenizer",
        "quantize",
        "lambda",
    ] {
        assert!(out.lines().any(|l| l.starts_with(suite)), "{suite}:\n{out}");
    }
    // Every suite has its [[bench]] target now.
    for line in out.lines().skip(1) {
        assert!(line.contains(" built "), "{line}");
    }
}

#[test]
fn slowed_by_ten_percent_is_regressed() {
    let dir = criterion_dir("slow10", "regressed");
    let d = dir.to_str().unwrap();
    let o = realizar(&["bench", "--criterion-dir", d, "--baseline", "base"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("verdict_fixture/spin"), "{out}");
    assert!(out.contains("per iteration  p50 "), "{out}");
    assert!(out.contains("criterion      slope "), "{out}");
    assert!(out.contains("outliers "), "{out}");
    let line = out.lines().find(|l| l.contains("vs base")).expect(&out);
    assert!(line.contains("regressed +"), "{line}");
    assert!(line.contains(", p = "), "{line}");
    assert!(out.contains("1 benchmark(s) against baseline \"base\": 1 regressed"));

    let o = realizar(&[
        "bench",
        "--criterion-dir",
        d,
        "--baseline",
        "base",
        "--fail-on-regression",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let (_, err) = text(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "1 of 1 benchmark(s) regressed against baseline \"base\": verdict_fixture/spin"
        ),
        "{err}"
    );

    let o = realizar(&[
        "bench",
        "--criterion-dir",
        d,
        "--baseline",
        "base",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let b = &v["benchmarks"][0];
    assert_eq!(b["id"], "verdict_fixture/spin");
    assert_eq!(b["samples"], 100);
    assert_eq!(b["verdict"]["kind"], "regressed");
    let pct = b["verdict"]["change_pct"].as_f64().unwrap();
    assert!(pct > 1.0, "{pct}");
}

#[test]
fn same_code_twice_is_no_change() {
    let dir = criterion_dir("rerun", "no-change");
    let o = realizar(&[
        "bench",
        "--criterion-dir",
        dir.to_str().unwrap(),
        "--baseline",
        "base",
        "--fail-on-regression",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let line = out.lines().find(|l| l.contains("vs base")).expect(&out);
    assert!(line.contains("no change "), "{line}");
}

#[test]
fn without_a_baseline_there_is_no_verdict() {
    let dir = criterion_dir("rerun", "no-baseline");
    let o = realizar(&["bench", "--criterion-dir", dir.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert!(o.status.success());
    assert!(!out.contains("vs "), "{out}");
    assert!(out.contains("1 benchmark(s)"));
}

#[test]
fn errors() {
    let dir = criterion_dir("rerun", "errors");
    let d = dir.to_str().unwrap();
    // A baseline that was never saved.
    let o = realizar(&["bench", "--criterion-dir", d, "--baseline", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    let (_, err) = text(&o);
    assert!(
        err.contains("no baseline named \"nope\"") && err.contains("saved: base"),
        "{err}"
    );
    // Outside a checkout, running suites is a clear one-line error.
    let outside = std::env::temp_dir();
    let o = realizar_in(&outside, &["bench", "tensor_ops"]);
    assert_eq!(o.status.code(), Some(1));
    let (_, err) = text(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not inside a realizar checkout"), "{err}");
    // But --list still works there.
    assert!(realizar_in(&outside, &["bench", "--list"]).status.success());
    // A suite that does not exist is a usage error.
    assert_eq!(realizar(&["bench", "nosuch"]).status.code(), Some(2));
    assert_eq!(
        realizar(&["bench", "--fail-on-regression"]).status.code(),
        Some(2),
        "--fail-on-regression needs --baseline"
    );
    assert_eq!(
        realizar(&["bench", "--baseline", "new"]).status.code(),
        Some(2)
    );
}
