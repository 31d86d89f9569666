//! realizar-quant against gguf-py (`comparative/fixtures/quant_fixtures.py`):
//! identical Q4_0/Q8_0 bytes and dequantized values, for every kernel
//! variant this CPU supports, and `vec_dot` within 1e-5 relative of the
//! float64 dot product of the dequantized values.

use realizar_quant::kernels;
use realizar_quant::{BlockQ4_0, BlockQ8_0, Q8Activations, QK, QuantBlock};
use serde::Deserialize;

#[derive(Deserialize)]
struct Doc {
    gguf: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    n: usize,
    x: Vec<u32>,
    q4_0: String,
    q8_0: String,
    deq_q4_0: Vec<u32>,
    deq_q8_0: Vec<u32>,
    a: Option<Vec<u32>>,
    a_q8_0: Option<String>,
    dot_q4_0_q8_0: Option<f64>,
    dot_q8_0_q8_0: Option<f64>,
}

fn load() -> Doc {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/quant_cases.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture file"))
        .expect("fixture JSON")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn floats(bits: &[u32]) -> Vec<f32> {
    bits.iter().map(|&b| f32::from_bits(b)).collect()
}

/// Equal bit patterns, or both NaN (NaN payloads are not compared).
fn same(got: &[f32], want: &[f32]) -> Option<usize> {
    got.iter()
        .zip(want)
        .position(|(g, w)| !(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan())))
}

#[test]
fn bytes_and_values_equal_gguf_py() {
    let doc = load();
    assert!(doc.cases.len() >= 10, "gguf {}", doc.gguf);
    for c in &doc.cases {
        let x = floats(&c.x);
        assert_eq!(x.len(), c.n);
        let nb = c.n / QK;
        let want4 = BlockQ4_0::vec_from_bytes(&hex(&c.q4_0)).unwrap();
        let want8 = BlockQ8_0::vec_from_bytes(&hex(&c.q8_0)).unwrap();
        for k in kernels::variants() {
            let mut q4 = vec![BlockQ4_0::default(); nb];
            let mut q8 = vec![BlockQ8_0::default(); nb];
            (k.quantize_q4_0)(&x, &mut q4);
            (k.quantize_q8_0)(&x, &mut q8);
            if let Some(b) = q4.iter().zip(&want4).position(|(a, b)| a != b) {
                panic!(
                    "{} {}: Q4_0 block {b}: {:?} vs gguf-py {:?}",
                    c.name, k.isa, q4[b], want4[b]
                );
            }
            if let Some(b) = q8.iter().zip(&want8).position(|(a, b)| a != b) {
                panic!(
                    "{} {}: Q8_0 block {b}: {:?} vs gguf-py {:?}",
                    c.name, k.isa, q8[b], want8[b]
                );
            }
            assert_eq!(BlockQ4_0::as_bytes(&q4), hex(&c.q4_0).as_slice());
            assert_eq!(BlockQ8_0::as_bytes(&q8), hex(&c.q8_0).as_slice());
            let mut d = vec![0.0f32; c.n];
            (k.dequantize_q4_0)(&want4, &mut d);
            if let Some(i) = same(&d, &floats(&c.deq_q4_0)) {
                panic!(
                    "{} {}: dequantized Q4_0 value {i}: {} vs {}",
                    c.name,
                    k.isa,
                    d[i],
                    f32::from_bits(c.deq_q4_0[i])
                );
            }
            (k.dequantize_q8_0)(&want8, &mut d);
            if let Some(i) = same(&d, &floats(&c.deq_q8_0)) {
                panic!(
                    "{} {}: dequantized Q8_0 value {i}: {} vs {}",
                    c.name,
                    k.isa,
                    d[i],
                    f32::from_bits(c.deq_q8_0[i])
                );
            }
        }
    }
}

#[test]
fn vec_dot_is_within_1e5_of_f64() {
    let doc = load();
    let mut checked = 0;
    for c in &doc.cases {
        let (Some(a), Some(aq), Some(dot4), Some(dot8)) =
            (&c.a, &c.a_q8_0, c.dot_q4_0_q8_0, c.dot_q8_0_q8_0)
        else {
            continue;
        };
        let w4 = BlockQ4_0::vec_from_bytes(&hex(&c.q4_0)).unwrap();
        let w8 = BlockQ8_0::vec_from_bytes(&hex(&c.q8_0)).unwrap();
        let want_a = BlockQ8_0::vec_from_bytes(&hex(aq)).unwrap();
        // The activations quantized by us equal gguf-py's.
        let act = Q8Activations::quantize(&floats(a)).unwrap();
        assert_eq!(act.blocks(), want_a.as_slice(), "{}: activations", c.name);
        let close = |got: f32, want: f64| (got as f64 - want).abs() <= 1e-5 * want.abs() + 1e-30;
        let g4 = realizar_quant::vec_dot_q4_0_q8_0(&w4, &want_a).unwrap();
        let g8 = realizar_quant::vec_dot_q8_0_q8_0(&w8, &want_a).unwrap();
        assert!(close(g4, dot4), "{}: q4_0 dot {g4} vs {dot4}", c.name);
        assert!(close(g8, dot8), "{}: q8_0 dot {g8} vs {dot8}", c.name);
        for k in kernels::variants() {
            let (g4, g8) = ((k.dot_q4_0)(&w4, &act), (k.dot_q8_0)(&w8, &act));
            assert!(
                close(g4, dot4),
                "{} {}: q4_0 dot {g4} vs {dot4}",
                c.name,
                k.isa
            );
            assert!(
                close(g8, dot8),
                "{} {}: q8_0 dot {g8} vs {dot8}",
                c.name,
                k.isa
            );
        }
        checked += 1;
    }
    assert!(checked >= 9);
}
