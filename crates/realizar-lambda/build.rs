//! Chooses the model file embedded in the `bootstrap` binary.
//!
//! - `REALIZAR_EMBED_MODEL` unset: `models/mnist-v1.safetensors` (committed;
//!   regenerate with `cargo run -p realizar-lambda --example make_model`).
//!   When that file is absent the crate builds without an embedded model and
//!   warns, so the generator itself can be built.
//! - `REALIZAR_EMBED_MODEL=/abs/path/model.safetensors`: that file (relative
//!   paths are taken from the workspace root); it must exist.
//! - `REALIZAR_EMBED_MODEL=none`: nothing embedded; the function then needs
//!   `REALIZAR_MODEL` at run time.
//!
//! The build sets `REALIZAR_EMBED_MODEL_PATH` and `REALIZAR_EMBED_MODEL_ID`
//! (the file stem) for `include_bytes!`, or the cfg `realizar_embed_none`.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=REALIZAR_EMBED_MODEL");
    println!("cargo::rustc-check-cfg=cfg(realizar_embed_none)");
    let manifest =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let default = manifest.join("models").join("mnist-v1.safetensors");
    let path = match env::var_os("REALIZAR_EMBED_MODEL") {
        Some(v) if v == "none" => {
            println!("cargo::rustc-cfg=realizar_embed_none");
            return;
        }
        Some(v) if !v.is_empty() => {
            let p = PathBuf::from(v);
            let p = if p.is_absolute() {
                p
            } else {
                manifest.join("../..").join(p)
            };
            if !p.is_file() {
                panic!("REALIZAR_EMBED_MODEL={}: no such file", p.display());
            }
            p
        }
        _ => {
            println!("cargo::rerun-if-changed={}", default.display());
            if !default.is_file() {
                println!(
                    "cargo::warning=no embedded model: {} is missing (generate it with `cargo run -p realizar-lambda --example make_model`)",
                    default.display()
                );
                println!("cargo::rustc-cfg=realizar_embed_none");
                return;
            }
            default
        }
    };
    println!("cargo::rerun-if-changed={}", path.display());
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("model")
        .to_string();
    println!(
        "cargo::rustc-env=REALIZAR_EMBED_MODEL_PATH={}",
        path.display()
    );
    println!("cargo::rustc-env=REALIZAR_EMBED_MODEL_ID={id}");
}
