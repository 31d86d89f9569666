//! The texts of the tokenizer suites, built the same way by
//! `comparative/peers/tokenize_peers.py`:
//!
//! - `code`: every `*.rs` file under `crates/`, sorted by path, concatenated;
//! - `prose`: the text of every Markdown file and of every `//!` / `///`
//!   doc-comment line in those sources;
//!
//! each repeated to [`SIZE`] bytes.

use std::path::{Path, PathBuf};

/// Bytes of each text.
pub const SIZE: usize = 1 << 20;

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A tokenizer fixture of realizar-tokenize (`gpt2.json`, `spm_bpe.model`, ...).
pub fn tokenizer_fixture(name: &str) -> PathBuf {
    root()
        .join("crates/realizar-tokenize/tests/fixtures")
        .join(name)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs" || x == "md") {
            out.push(p);
        }
    }
}

/// (prose, code), each ~1 MiB.
pub fn corpora() -> (String, String) {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    rust_files(&root().join("docs"), &mut files);
    files.push(root().join("README.md"));
    files.sort();
    let (mut prose, mut code) = (String::new(), String::new());
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if f.extension().is_some_and(|x| x == "md") {
            prose.push_str(&text);
            continue;
        }
        code.push_str(&text);
        for line in text.lines() {
            let t = line.trim_start();
            if let Some(doc) = t.strip_prefix("//!").or_else(|| t.strip_prefix("///")) {
                prose.push_str(doc.strip_prefix(' ').unwrap_or(doc));
                prose.push('\n');
            }
        }
    }
    (fill(&prose), fill(&code))
}

fn fill(s: &str) -> String {
    let mut out = String::with_capacity(SIZE + s.len());
    while out.len() < SIZE && !s.is_empty() {
        out.push_str(s);
    }
    let mut cut = SIZE.min(out.len());
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    out
}
