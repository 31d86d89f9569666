//! Model files: round trips, the PyTorch layout, and every kind of broken file.

use realizar_infer::format::safetensors::{F32Tensor, serialize_f32};
use realizar_infer::{ClassicalModel, Error, LogisticRegression, SoftmaxRegression, data};
use safetensors::Dtype;
use safetensors::tensor::TensorView;

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "realizar-infer-{}-{name}.safetensors",
        std::process::id()
    ))
}

fn meta<'a>(pairs: &[(&'a str, &str)]) -> Vec<(&'a str, String)> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

fn file(weight: (&[usize], &[f32]), bias: (&[usize], &[f32]), m: &[(&str, &str)]) -> Vec<u8> {
    serialize_f32(
        &[
            F32Tensor {
                name: "weight",
                shape: weight.0,
                values: weight.1,
            },
            F32Tensor {
                name: "bias",
                shape: bias.0,
                values: bias.1,
            },
        ],
        &meta(m),
    )
    .unwrap()
}

const LOGISTIC: &[(&str, &str)] = &[
    ("realizar.model_type", "logistic_regression"),
    ("realizar.format_version", "1"),
    ("realizar.model_version", "3.2.1"),
    ("realizar.input_dim", "3"),
    ("realizar.n_classes", "2"),
];

#[test]
fn save_and_load_round_trip_both_kinds() {
    let demo = data::demo_model().unwrap();
    let path = temp_path("demo");
    demo.save(&path).unwrap();
    let back = ClassicalModel::load(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(back.info("m"), demo.info("m"));
    let samples = data::synthetic_mnist(20);
    let (mut p, mut q) = ([0.0; 2], [0.0; 2]);
    for x in samples.x.chunks_exact(784) {
        assert_eq!(back.predict(x).unwrap(), demo.predict(x).unwrap());
        back.predict_proba_into(x, &mut p).unwrap();
        demo.predict_proba_into(x, &mut q).unwrap();
        assert_eq!(p, q);
    }

    let soft: ClassicalModel =
        SoftmaxRegression::new(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[0.1, 0.2, 0.3])
            .unwrap()
            .with_version("9")
            .into();
    let back =
        ClassicalModel::from_safetensors_bytes(&soft.to_safetensors_bytes().unwrap()).unwrap();
    let info = back.info("s");
    assert_eq!(
        (
            info.model_type.as_str(),
            info.version.as_str(),
            info.input_dim,
            info.n_classes
        ),
        ("softmax_regression", "9", 2, 3)
    );
    let ClassicalModel::Softmax(s) = back else {
        panic!()
    };
    assert_eq!(s.weight(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(s.bias(), &[0.1, 0.2, 0.3]);
}

#[test]
fn a_pytorch_linear_export_loads_as_softmax() {
    // What `safetensors.torch.save_file(nn.Linear(3, 2).state_dict(), path,
    // metadata={"model_type": "softmax_regression"})` writes.
    let w = [0.5, -0.25, 1.0, -0.5, 0.75, 0.0];
    let b = [0.1, -0.1];
    let bytes = file(
        (&[2, 3], &w),
        (&[2], &b),
        &[("model_type", "softmax_regression")],
    );
    let m = ClassicalModel::from_safetensors_bytes(&bytes).unwrap();
    assert_eq!(
        (m.model_type(), m.version(), m.input_dim(), m.n_classes()),
        ("softmax_regression", "0.0.0", 3, 2)
    );
    let x = [1.0, 2.0, 3.0];
    let l0 = 0.5 - 0.5 + 3.0 + 0.1f64;
    let l1 = -0.5 + 1.5 + 0.0 - 0.1f64;
    let p1 = 1.0 / (1.0 + (l0 - l1).exp());
    let mut p = [0.0; 2];
    m.predict_proba_into(&x, &mut p).unwrap();
    assert!((f64::from(p[1]) - p1).abs() < 1e-6 && (f64::from(p[0]) - (1.0 - p1)).abs() < 1e-6);
    assert_eq!(m.predict(&x).unwrap(), 0);

    // Full realizar metadata too.
    let bytes = file(
        (&[2, 3], &w),
        (&[2], &b),
        &[
            ("realizar.model_type", "softmax_regression"),
            ("realizar.model_version", "1.0.0"),
            ("realizar.input_dim", "3"),
            ("realizar.n_classes", "2"),
        ],
    );
    assert_eq!(
        ClassicalModel::from_safetensors_bytes(&bytes)
            .unwrap()
            .version(),
        "1.0.0"
    );
}

fn load_err(bytes: &[u8]) -> Error {
    ClassicalModel::from_safetensors_bytes(bytes).unwrap_err()
}

#[test]
fn wrong_shapes_name_the_tensor_and_the_expectation() {
    let e = load_err(&file((&[3], &[1.0; 3]), (&[1], &[0.0]), LOGISTIC));
    assert_eq!(
        e.to_string(),
        "tensor 'weight': expected shape [1, 3], found [3]"
    );
    let e = load_err(&file((&[1, 4], &[1.0; 4]), (&[1], &[0.0]), LOGISTIC));
    assert_eq!(
        e.to_string(),
        "tensor 'weight': expected shape [1, 3], found [1, 4]"
    );
    let e = load_err(&file((&[1, 3], &[1.0; 3]), (&[2], &[0.0; 2]), LOGISTIC));
    assert_eq!(
        e.to_string(),
        "tensor 'bias': expected shape [1], found [2]"
    );

    let soft = &[
        ("realizar.model_type", "softmax_regression"),
        ("realizar.input_dim", "784"),
        ("realizar.n_classes", "2"),
    ];
    let e = load_err(&file((&[3], &[1.0; 3]), (&[2], &[0.0; 2]), soft));
    assert_eq!(
        e.to_string(),
        "tensor 'weight': expected shape [2, 784], found [3]"
    );
    let e = load_err(&file(
        (&[1, 3], &[1.0; 3]),
        (&[1], &[0.0]),
        &[("realizar.model_type", "softmax_regression")],
    ));
    assert_eq!(
        e.to_string(),
        "tensor 'weight': expected shape [k, d] with k >= 2, found [1, 3]"
    );
    let e = load_err(&file(
        (&[2, 3], &[1.0; 6]),
        (&[3], &[0.0; 3]),
        &[("realizar.model_type", "softmax_regression")],
    ));
    assert_eq!(
        e.to_string(),
        "tensor 'bias': expected shape [2], found [3]"
    );
    let e = load_err(&file(
        (&[2, 0], &[]),
        (&[2], &[0.0; 2]),
        &[("realizar.model_type", "softmax_regression")],
    ));
    assert!(matches!(e, Error::WrongShape { .. }), "{e}");
}

#[test]
fn metadata_is_required_and_checked() {
    let ok_w = (&[1usize, 3][..], &[1.0f32; 3][..]);
    let ok_b = (&[1usize][..], &[0.0f32][..]);
    let e = load_err(&file(ok_w, ok_b, &[]));
    assert_eq!(
        e.to_string(),
        "metadata key 'realizar.model_type' is missing"
    );
    let e = load_err(&file(ok_w, ok_b, &[("realizar.model_type", "svm")]));
    assert!(
        matches!(&e, Error::BadMetadata { key, found, .. } if key == "realizar.model_type" && found == "svm"),
        "{e}"
    );
    let e = load_err(&file(
        ok_w,
        ok_b,
        &[
            ("realizar.model_type", "logistic_regression"),
            ("realizar.format_version", "2"),
        ],
    ));
    assert_eq!(
        e.to_string(),
        "metadata key 'realizar.format_version': expected \"1\", found \"2\""
    );
    let e = load_err(&file(
        ok_w,
        ok_b,
        &[
            ("realizar.model_type", "logistic_regression"),
            ("realizar.input_dim", "x"),
        ],
    ));
    assert!(
        matches!(&e, Error::BadMetadata { key, .. } if key == "realizar.input_dim"),
        "{e}"
    );
    let e = load_err(&file(
        ok_w,
        ok_b,
        &[
            ("realizar.model_type", "logistic_regression"),
            ("realizar.n_classes", "3"),
        ],
    ));
    assert!(
        matches!(&e, Error::BadMetadata { key, .. } if key == "realizar.n_classes"),
        "{e}"
    );
    // Metadata and shapes must agree.
    let e = load_err(&file(
        ok_w,
        ok_b,
        &[
            ("realizar.model_type", "logistic_regression"),
            ("realizar.input_dim", "784"),
        ],
    ));
    assert_eq!(
        e.to_string(),
        "tensor 'weight': expected shape [1, 784], found [1, 3]"
    );
}

#[test]
fn missing_tensors_wrong_dtypes_and_bad_values() {
    let only_weight = serialize_f32(
        &[F32Tensor {
            name: "weight",
            shape: &[1, 3],
            values: &[1.0; 3],
        }],
        &meta(LOGISTIC),
    )
    .unwrap();
    assert_eq!(
        load_err(&only_weight).to_string(),
        "tensor 'bias' is missing"
    );

    let w16 = [0u8; 6];
    let b32 = 0f32.to_le_bytes();
    let m: std::collections::HashMap<String, String> = LOGISTIC
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let bytes = safetensors::serialize(
        [
            (
                "weight",
                TensorView::new(Dtype::F16, vec![1, 3], &w16).unwrap(),
            ),
            ("bias", TensorView::new(Dtype::F32, vec![1], &b32).unwrap()),
        ],
        Some(m),
    )
    .unwrap();
    assert_eq!(
        load_err(&bytes).to_string(),
        "tensor 'weight': expected dtype F32, found F16"
    );

    let e = load_err(&file(
        (&[1, 3], &[1.0, f32::INFINITY, 0.0]),
        (&[1], &[0.0]),
        LOGISTIC,
    ));
    assert_eq!(
        e.to_string(),
        "tensor 'weight': element 1 is inf, expected a finite number"
    );
    let e = load_err(&file((&[1, 3], &[1.0; 3]), (&[1], &[f32::NAN]), LOGISTIC));
    assert!(
        matches!(&e, Error::NonFiniteWeight { tensor, .. } if tensor == "bias"),
        "{e}"
    );
}

#[test]
fn truncated_and_corrupt_files_are_typed_errors() {
    let good = data::demo_model().unwrap().to_safetensors_bytes().unwrap();
    for cut in [0, 3, 8, 20, good.len() / 2, good.len() - 1] {
        let e = load_err(&good[..cut]);
        assert!(matches!(e, Error::Truncated { .. }), "cut {cut}: {e}");
    }
    // Flipped bytes in the header: never a panic, always a typed error.
    let header_len = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    for i in 8..8 + header_len {
        let mut bad = good.clone();
        bad[i] ^= 0x5a;
        if let Err(e) = ClassicalModel::from_safetensors_bytes(&bad) {
            assert!(!e.to_string().is_empty());
        }
    }
    // A header length larger than the file.
    let mut bad = good.clone();
    bad[..8].copy_from_slice(&(good.len() as u64).to_le_bytes());
    assert!(matches!(load_err(&bad), Error::Truncated { .. }));
    // Not a file at all.
    let e = ClassicalModel::load(std::path::Path::new(
        "/nonexistent/realizar/model.safetensors",
    ))
    .unwrap_err();
    assert!(
        matches!(e, Error::Io { .. }) && e.to_string().contains("/nonexistent/realizar"),
        "{e}"
    );
    // An empty file (mmap of length 0).
    let path = temp_path("empty");
    std::fs::write(&path, b"").unwrap();
    let e = ClassicalModel::load(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    assert!(
        matches!(
            e,
            Error::Truncated {
                expected: 8,
                found: 0
            }
        ),
        "{e}"
    );
}

#[test]
fn weighted_counts_the_weights() {
    use realizar_cache::Weighted;
    let m: ClassicalModel = LogisticRegression::new(&[1.0; 784], 0.0).unwrap().into();
    // The weights in f32 (the fast path) and in f64 (exact probabilities),
    // plus, on CPUs where the fast path uses them, 16 f32 copies at every
    // cache-line offset (800 floats apart).
    let bytes = m.weight_bytes();
    let base = 784 * 12..784 * 12 + 128;
    let copies = 16 * 800 * 4;
    assert!(
        base.contains(&bytes) || base.contains(&(bytes - copies)),
        "{bytes}"
    );
    let s: ClassicalModel = SoftmaxRegression::new(&[1.0; 2 * 784], &[0.0; 2])
        .unwrap()
        .into();
    // Two rows plus the precomputed difference row in f32 and f64.
    assert!(
        s.weight_bytes() >= 2 * 784 * 4 + 784 * 12,
        "{}",
        s.weight_bytes()
    );
}
