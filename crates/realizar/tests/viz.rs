//! `realizar viz` as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn realizar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_realizar"))
        .args(args)
        .output()
        .expect("run realizar")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("viz-cli");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

#[test]
fn demo_shows_four_sections_and_is_stable_under_a_seed() {
    let a = realizar(&["viz", "--samples", "300", "--seed", "7"]);
    assert!(a.status.success(), "{}", stderr(&a));
    let text = stdout(&a);
    for section in [
        "== Sparkline: samples in measurement order ==",
        "== Histogram ==",
        "== Report ==",
        "== Comparison ==",
    ] {
        assert!(text.contains(section), "missing {section}:\n{text}");
    }
    assert!(text.contains("300 samples in 20 bins"));
    assert!(text.contains("p99/p50"));
    assert!(!text.contains('\x1b'), "no colour unless asked");
    // Every unit appears: ns, µs, ms.
    for unit in [" ns", " µs", " ms"] {
        assert!(text.contains(unit), "{unit}");
    }
    let b = realizar(&["viz", "--samples", "300", "--seed", "7"]);
    assert_eq!(text, stdout(&b), "same seed, same output");
    let c = realizar(&["viz", "--samples", "300", "--seed", "8"]);
    assert_ne!(text, stdout(&c), "another seed, other samples");
}

#[test]
fn color_emits_ansi() {
    let o = realizar(&["viz", "--color", "--samples", "100"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("\x1b[32m"), "green bars");
    assert!(text.contains("\x1b[0m"));
}

#[test]
fn tui_refuses_without_a_terminal() {
    let o = realizar(&["viz", "--tui"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--tui needs an interactive terminal"), "{err}");
}

#[test]
fn input_files_and_criterion_folders() {
    let p = tmp("lat.txt");
    std::fs::write(&p, "10\n12\n11\n13\n10.5\n").unwrap();
    let o = realizar(&["viz", "--input", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("lat: 5 samples"));

    let j = tmp("multi.json");
    std::fs::write(&j, r#"{"fast": [1, 2, 3], "slow": [4, 5, 6]}"#).unwrap();
    let o = realizar(&["viz", "--input", j.to_str().unwrap(), "--filter", "slow"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("slow: 3 samples") && !stdout(&o).contains("fast"));

    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../realizar-viz/tests/fixtures/criterion/verdict_fixture/spin/base");
    let svg = tmp("svg");
    let o = realizar(&[
        "viz",
        "--input",
        fixture.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("verdict_fixture/spin: 100 samples"));
    assert!(svg.join("comparison.svg").is_file());
    assert!(svg.join("histogram-verdict_fixture_spin.svg").is_file());
}

#[test]
fn bad_input_is_one_line_exit_1() {
    let p = tmp("bad.txt");
    std::fs::write(&p, "1\n2\nfast\n").unwrap();
    let o = realizar(&["viz", "--input", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.txt:3: not a number"), "{err}");

    let o = realizar(&["viz", "--input", "/no/such/file"]);
    assert_eq!(o.status.code(), Some(1));
    // Usage errors exit 2.
    assert_eq!(realizar(&["viz", "--samples", "1"]).status.code(), Some(2));
    assert_eq!(
        realizar(&["viz", "--samples", "5", "--input", "x"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn help_has_examples() {
    for cmd in [
        &["viz", "--help"][..],
        &["bench", "--help"],
        &["stats", "--help"],
        &["stats", "compare", "--help"],
    ] {
        let o = realizar(cmd);
        assert!(o.status.success());
        assert!(stdout(&o).contains("Examples:"), "{cmd:?}");
    }
}
