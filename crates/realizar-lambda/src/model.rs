//! Where the function's model comes from: a file named by `REALIZAR_MODEL`
//! (e.g. a Lambda layer under `/opt`) or the safetensors bytes embedded in
//! the binary at build time (see `build.rs`). Loaded once, at init.

use crate::error::{Error, Result};
use realizar_infer::model::ClassicalModel;
use std::path::{Path, PathBuf};

/// Environment variable naming a model file to load instead of the
/// embedded one.
pub const MODEL_ENV: &str = "REALIZAR_MODEL";

/// Environment variable overriding the model id that requests may name in
/// `model_id` (default: the model file's stem, e.g. `mnist-v1`).
pub const MODEL_ID_ENV: &str = "REALIZAR_MODEL_ID";

/// Bytes aligned to 64, so tensors in an embedded file start as aligned as
/// the file lays them out.
#[cfg(not(realizar_embed_none))]
#[repr(C, align(64))]
struct Aligned<T: ?Sized>(T);

#[cfg(not(realizar_embed_none))]
static EMBEDDED: &Aligned<[u8]> = &Aligned(*include_bytes!(env!("REALIZAR_EMBED_MODEL_PATH")));

/// The safetensors file embedded at build time, if any.
pub fn embedded_model_bytes() -> Option<&'static [u8]> {
    #[cfg(not(realizar_embed_none))]
    {
        Some(&EMBEDDED.0)
    }
    #[cfg(realizar_embed_none)]
    {
        None
    }
}

/// The id of the embedded model (its file stem), if any.
pub fn embedded_model_id() -> Option<&'static str> {
    #[cfg(not(realizar_embed_none))]
    {
        Some(env!("REALIZAR_EMBED_MODEL_ID"))
    }
    #[cfg(realizar_embed_none)]
    {
        None
    }
}

/// Where to load the model from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// The bytes embedded in the binary.
    Embedded,
    /// A safetensors file.
    File(PathBuf),
}

impl ModelSource {
    /// `File($REALIZAR_MODEL)` when that variable is set and not empty,
    /// else `Embedded`.
    pub fn from_env() -> Self {
        match std::env::var_os(MODEL_ENV) {
            Some(p) if !p.is_empty() => Self::File(PathBuf::from(p)),
            _ => Self::Embedded,
        }
    }
}

/// The model a function serves and the id requests may name.
#[derive(Debug)]
pub struct LambdaModel {
    id: String,
    model: ClassicalModel,
}

impl LambdaModel {
    /// Wraps a model under an id.
    pub fn new(id: impl Into<String>, model: ClassicalModel) -> Self {
        Self {
            id: id.into(),
            model,
        }
    }

    /// Loads from `source`; the id is `id` when given, else the file stem.
    pub fn load(source: &ModelSource, id: Option<String>) -> Result<Self> {
        match source {
            ModelSource::Embedded => {
                let bytes = embedded_model_bytes().ok_or(Error::NoModel)?;
                let model =
                    ClassicalModel::from_safetensors_bytes(bytes).map_err(Error::EmbeddedModel)?;
                let id = id.unwrap_or_else(|| embedded_model_id().unwrap_or("model").to_string());
                Ok(Self::new(id, model))
            }
            ModelSource::File(path) => {
                let model = ClassicalModel::load(path).map_err(|source| Error::ModelFile {
                    path: path.clone(),
                    source,
                })?;
                let id = id.unwrap_or_else(|| file_stem(path));
                Ok(Self::new(id, model))
            }
        }
    }

    /// Loads as the bootstrap does: `REALIZAR_MODEL` or the embedded model,
    /// under `REALIZAR_MODEL_ID` when set.
    pub fn from_env() -> Result<Self> {
        let id = std::env::var(MODEL_ID_ENV).ok().filter(|s| !s.is_empty());
        Self::load(&ModelSource::from_env(), id)
    }

    /// The embedded model under its build-time id.
    pub fn embedded() -> Result<Self> {
        Self::load(&ModelSource::Embedded, None)
    }

    /// The id requests may name in `model_id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The model.
    pub fn model(&self) -> &ClassicalModel {
        &self.model
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("model")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_model_loads_with_its_file_stem_as_id() {
        let m = LambdaModel::embedded().expect("the default build embeds a model");
        assert_eq!(m.id(), "mnist-v1");
        assert_eq!(m.model().input_dim(), 784);
    }

    #[test]
    fn a_missing_file_is_a_typed_error_naming_the_path() {
        let src = ModelSource::File(PathBuf::from("/nonexistent/realizar/model.safetensors"));
        let err = LambdaModel::load(&src, None).unwrap_err();
        assert!(matches!(err, Error::ModelFile { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("/nonexistent/realizar/model.safetensors"),
            "{err}"
        );
    }

    #[test]
    fn a_file_is_served_under_its_stem_or_the_given_id() {
        let dir =
            std::env::temp_dir().join(format!("realizar-lambda-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("digits-v7.safetensors");
        std::fs::write(&path, embedded_model_bytes().unwrap()).unwrap();
        let src = ModelSource::File(path.clone());
        assert_eq!(LambdaModel::load(&src, None).unwrap().id(), "digits-v7");
        assert_eq!(
            LambdaModel::load(&src, Some("prod".into())).unwrap().id(),
            "prod"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn garbage_bytes_are_an_error_not_a_panic() {
        let dir =
            std::env::temp_dir().join(format!("realizar-lambda-garbage-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.safetensors");
        std::fs::write(&path, b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}......").unwrap();
        let err = LambdaModel::load(&ModelSource::File(path), None).unwrap_err();
        assert!(matches!(err, Error::ModelFile { .. }), "{err:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
