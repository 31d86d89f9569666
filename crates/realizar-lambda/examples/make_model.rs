//! Writes the model embedded in the bootstrap by default:
//! `crates/realizar-lambda/models/mnist-v1.safetensors`, the 784 -> 2
//! logistic regression of `realizar_infer::data::demo_model` (trained on the
//! synthetic MNIST-shaped data set, deterministic).
//!
//! ```text
//! cargo run -p realizar-lambda --example make_model [-- OUT.safetensors]
//! ```

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/mnist-v1.safetensors")
        });
    let model = realizar_infer::data::demo_model()?;
    model.save(&out)?;
    println!(
        "wrote {} ({} bytes): {} features, version {}",
        out.display(),
        std::fs::metadata(&out)?.len(),
        model.input_dim(),
        model.version()
    );
    Ok(())
}
