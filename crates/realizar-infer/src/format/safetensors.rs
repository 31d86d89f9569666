//! Reading and writing `.safetensors` files.
//!
//! A safetensors file is an 8-byte little-endian header length `n`, `n`
//! bytes of JSON (tensor name -> dtype, shape, byte range; plus an optional
//! `__metadata__` string map), then the tensor bytes. [`SafetensorsFile`]
//! checks all of it (header length, JSON, offsets contiguous and within the
//! file, the file exactly as long as the header says) before handing out a
//! tensor, then checks each tensor's dtype and shape as it is asked for.

use crate::error::{Error, Result};
use safetensors::tensor::{Metadata, TensorInfo};
use safetensors::{Dtype, SafeTensorError};
use std::collections::HashMap;
use std::path::Path;

/// Bytes of the header-length prefix.
const PREFIX: usize = 8;

/// A validated view of a safetensors buffer (a file's bytes or its mmap).
#[derive(Debug)]
pub struct SafetensorsFile<'a> {
    metadata: Metadata,
    data: &'a [u8],
}

impl<'a> SafetensorsFile<'a> {
    /// Parses and validates the header of `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let Some(prefix) = bytes.get(..PREFIX) else {
            return Err(Error::Truncated {
                expected: PREFIX,
                found: bytes.len(),
            });
        };
        let mut len = [0u8; PREFIX];
        len.copy_from_slice(prefix);
        let n = u64::from_le_bytes(len);
        let header_end = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_add(PREFIX))
            .ok_or_else(|| Error::BadHeader {
                reason: format!("header length {n} does not fit in memory"),
            })?;
        let Some(header) = bytes.get(PREFIX..header_end) else {
            return Err(Error::Truncated {
                expected: header_end,
                found: bytes.len(),
            });
        };
        let header = std::str::from_utf8(header).map_err(|e| Error::BadHeader {
            reason: format!("header is not UTF-8: {e}"),
        })?;
        let metadata: Metadata = serde_json::from_str(header).map_err(|e| Error::BadHeader {
            reason: format!("header is not a safetensors JSON header: {e}"),
        })?;
        let data = &bytes[header_end..];
        let expected = header_end.checked_add(metadata.data_len());
        match expected {
            Some(e) if e == bytes.len() => Ok(Self { metadata, data }),
            Some(e) if e > bytes.len() => Err(Error::Truncated {
                expected: e,
                found: bytes.len(),
            }),
            Some(e) => Err(Error::BadHeader {
                reason: format!(
                    "{} bytes after the last tensor (the header accounts for {e} of {})",
                    bytes.len() - e,
                    bytes.len()
                ),
            }),
            None => Err(Error::BadHeader {
                reason: "tensor offsets overflow".into(),
            }),
        }
    }

    /// The `__metadata__` value of `key`, if any.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata
            .metadata()
            .as_ref()
            .and_then(|m| m.get(key))
            .map(String::as_str)
    }

    /// The names of the tensors, in file order.
    pub fn names(&self) -> Vec<String> {
        self.metadata.offset_keys()
    }

    /// The shape of tensor `name`.
    pub fn shape(&self, name: &str) -> Result<&[usize]> {
        Ok(&self.info(name)?.shape)
    }

    fn info(&self, name: &str) -> Result<&TensorInfo> {
        self.metadata
            .info(name)
            .ok_or_else(|| Error::MissingTensor {
                tensor: name.to_string(),
            })
    }

    /// Tensor `name` as `f32` values (copied, so unaligned files are fine),
    /// with its shape. Fails unless its dtype is `F32` and every value is
    /// finite.
    pub fn tensor_f32(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        let info = self.info(name)?;
        if info.dtype != Dtype::F32 {
            return Err(Error::WrongDtype {
                tensor: name.to_string(),
                expected: "F32",
                found: format!("{:?}", info.dtype),
            });
        }
        let (start, end) = info.data_offsets;
        // Offsets were checked against the buffer in `parse`.
        let bytes = &self.data[start..end];
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFiniteWeight {
                tensor: name.to_string(),
                index,
                value,
            });
        }
        Ok((info.shape.clone(), values))
    }
}

/// One `f32` tensor to write: name, shape, row-major values.
#[derive(Debug, Clone, Copy)]
pub struct F32Tensor<'a> {
    /// The tensor's name.
    pub name: &'a str,
    /// Its shape.
    pub shape: &'a [usize],
    /// Its values (as many as the shape holds).
    pub values: &'a [f32],
}

/// Serializes `f32` tensors and a metadata map into safetensors bytes.
pub fn serialize_f32(tensors: &[F32Tensor<'_>], metadata: &[(&str, String)]) -> Result<Vec<u8>> {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|t| t.values.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|(t, b)| {
            safetensors::tensor::TensorView::new(Dtype::F32, t.shape.to_vec(), b)
                .map(|v| (t.name, v))
                .map_err(serialize_error)
        })
        .collect::<Result<Vec<_>>>()?;
    let meta: HashMap<String, String> = metadata
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    safetensors::serialize(views, Some(meta)).map_err(serialize_error)
}

fn serialize_error(e: SafeTensorError) -> Error {
    Error::Serialize {
        reason: e.to_string(),
    }
}

/// A file mapped into memory (read-only).
#[derive(Debug)]
pub struct MappedFile {
    map: memmap2::Mmap,
}

impl MappedFile {
    /// Maps `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        // SAFETY: the map is read-only and private to this process; a model
        // file changed underneath it can give wrong values but every read is
        // bounds-checked against the length validated at parse time.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        Ok(Self { map })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        serialize_f32(
            &[
                F32Tensor {
                    name: "weight",
                    shape: &[2, 3],
                    values: &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                },
                F32Tensor {
                    name: "bias",
                    shape: &[2],
                    values: &[0.5, -0.5],
                },
            ],
            &[("k", "v".to_string())],
        )
        .unwrap()
    }

    #[test]
    fn round_trip() {
        let bytes = sample();
        let f = SafetensorsFile::parse(&bytes).unwrap();
        assert_eq!(f.metadata("k"), Some("v"));
        assert_eq!(f.metadata("missing"), None);
        let (shape, w) = f.tensor_f32("weight").unwrap();
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(w, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(f.tensor_f32("bias").unwrap().1, vec![0.5, -0.5]);
        assert!(matches!(
            f.tensor_f32("nope"),
            Err(Error::MissingTensor { tensor }) if tensor == "nope"
        ));
    }

    #[test]
    fn every_truncation_is_a_typed_error() {
        let bytes = sample();
        for cut in 0..bytes.len() {
            let err = SafetensorsFile::parse(&bytes[..cut]).unwrap_err();
            assert!(
                matches!(err, Error::Truncated { .. } | Error::BadHeader { .. }),
                "cut {cut}: {err}"
            );
        }
        // Cut inside the tensor data: the message gives both lengths.
        let cut = bytes.len() - 3;
        let err = SafetensorsFile::parse(&bytes[..cut]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "truncated safetensors file: expected {} bytes, found {cut}",
                bytes.len()
            )
        );
    }

    #[test]
    fn trailing_bytes_and_garbage_are_rejected() {
        let mut bytes = sample();
        bytes.extend_from_slice(&[0; 4]);
        assert!(matches!(
            SafetensorsFile::parse(&bytes),
            Err(Error::BadHeader { reason }) if reason.contains("4 bytes after")
        ));
        let mut bad = sample();
        bad[8] = b'!';
        assert!(matches!(
            SafetensorsFile::parse(&bad),
            Err(Error::BadHeader { .. })
        ));
        let huge = u64::MAX.to_le_bytes();
        assert!(SafetensorsFile::parse(&huge).is_err());
    }

    #[test]
    fn non_finite_and_wrong_dtype() {
        let bytes = serialize_f32(
            &[F32Tensor {
                name: "weight",
                shape: &[3],
                values: &[1.0, f32::NAN, 2.0],
            }],
            &[],
        )
        .unwrap();
        let f = SafetensorsFile::parse(&bytes).unwrap();
        let err = f.tensor_f32("weight").unwrap_err();
        assert!(
            matches!(err, Error::NonFiniteWeight { index: 1, .. }),
            "{err}"
        );

        let raw = [0u8; 4];
        let view = safetensors::tensor::TensorView::new(Dtype::I32, vec![1], &raw).unwrap();
        let bytes = safetensors::serialize([("weight", view)], None).unwrap();
        let f = SafetensorsFile::parse(&bytes).unwrap();
        assert_eq!(
            f.tensor_f32("weight").unwrap_err().to_string(),
            "tensor 'weight': expected dtype F32, found I32"
        );
    }
}
