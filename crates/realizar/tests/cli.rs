//! The `realizar` binary as a user runs it.

use std::process::Command;

fn realizar(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_realizar"))
        .args(args)
        .output()
        .expect("run realizar")
}

#[test]
fn help_and_version_succeed() {
    let h = realizar(&["--help"]);
    assert!(h.status.success());
    assert!(String::from_utf8_lossy(&h.stdout).contains("info"));
    let v = realizar(&["--version"]);
    assert!(v.status.success());
    assert!(String::from_utf8_lossy(&v.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(realizar(&["no-such-command"]).status.code(), Some(2));
    assert_eq!(realizar(&["--threads", "0", "info"]).status.code(), Some(2));
}

#[test]
fn info_reports_kernels_and_threads() {
    let out = realizar(&["--threads", "1", "info", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["threads"], 1);
    assert!(
        v["kernels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["op"] == "matmul")
    );
    let forced = Command::new(env!("CARGO_BIN_EXE_realizar"))
        .args(["info", "--json"])
        .env("REALIZAR_KERNEL", "scalar")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&forced.stdout).unwrap();
    assert_eq!(v["isa"], "scalar");
    let text = realizar(&["info"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("kernels:"));
}
