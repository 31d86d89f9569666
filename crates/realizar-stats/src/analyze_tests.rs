//! Unit tests of `analyze.rs` (kept apart to keep that file short).

use super::*;
use crate::bootstrap::Rng;

/// `n` standard normal draws (Box–Muller), deterministic.
fn normals(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut unit = || ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    (0..n)
        .map(|_| {
            let (u1, u2) = (unit(), unit());
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        })
        .collect()
}

fn affine(xs: &[f64], scale: f64, shift: f64) -> Vec<f64> {
    xs.iter().map(|x| x * scale + shift).collect()
}

#[test]
fn small_samples_use_mann_whitney() {
    let c = [10.0, 11.0, 12.0, 10.5, 11.5];
    let t = [20.0, 21.0, 22.0, 20.5, 21.5];
    let a = analyze_with_auto_select(&c, &t, &AnalysisConfig::default()).unwrap();
    assert_eq!(a.test, TestKind::MannWhitney);
    assert!(a.reason.contains("small samples"), "{}", a.reason);
    assert!(matches!(
        a.recommendation,
        Recommendation::ControlBetter { .. }
    ));
    assert_eq!(a.effect_size, 1.0);
    assert!((a.change_pct - (21.0 / 11.0 - 1.0) * 100.0).abs() < 1e-12);
    assert!(a.change_ci_pct.0 <= a.change_pct && a.change_pct <= a.change_ci_pct.1);
    // Reproducible, including the bootstrap interval.
    let b = analyze_with_auto_select(&c, &t, &AnalysisConfig::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn symmetric_large_samples_use_welch() {
    let c = affine(&normals(1, 200), 2.0, 100.0);
    let t = affine(&normals(2, 200), 2.0, 95.0);
    let a = analyze_with_auto_select(&c, &t, &AnalysisConfig::default()).unwrap();
    assert_eq!(a.test, TestKind::Welch, "{}", a.reason);
    match a.recommendation {
        Recommendation::TreatmentBetter { confidence } => assert!(confidence > 0.999),
        other => panic!("{other:?}"),
    }
    assert!(a.effect_size < -1.0, "d = {}", a.effect_size);
    assert!((a.change_pct + 5.0).abs() < 1.0, "{}", a.change_pct);
    assert!(a.change_ci_pct.0 < a.change_pct && a.change_pct < a.change_ci_pct.1);

    let higher = AnalysisConfig {
        lower_is_better: false,
        ..AnalysisConfig::default()
    };
    let a = analyze_with_auto_select(&c, &t, &higher).unwrap();
    assert!(matches!(
        a.recommendation,
        Recommendation::ControlBetter { .. }
    ));
}

#[test]
fn right_skewed_positive_data_use_log_welch() {
    let c: Vec<f64> = normals(3, 300).iter().map(|z| (1.0 + z).exp()).collect();
    let t: Vec<f64> = normals(4, 300)
        .iter()
        .map(|z| (1.0 + z).exp() * 0.7)
        .collect();
    let a = analyze_with_auto_select(&c, &t, &AnalysisConfig::default()).unwrap();
    assert_eq!(a.test, TestKind::LogWelch, "{}", a.reason);
    assert!(matches!(
        a.recommendation,
        Recommendation::TreatmentBetter { .. }
    ));
    assert!(
        a.change_pct < -15.0 && a.change_pct > -45.0,
        "{}",
        a.change_pct
    );
    assert!(a.change_ci_pct.0 < a.change_pct && a.change_pct < a.change_ci_pct.1);
}

#[test]
fn skewed_data_with_negatives_use_mann_whitney() {
    let c: Vec<f64> = normals(5, 100).iter().map(|z| z.exp() - 1.5).collect();
    let t: Vec<f64> = normals(6, 100).iter().map(|z| z.exp() - 1.5).collect();
    let a = analyze_with_auto_select(&c, &t, &AnalysisConfig::default()).unwrap();
    assert_eq!(a.test, TestKind::MannWhitney, "{}", a.reason);
    assert!(a.reason.contains("not all positive"), "{}", a.reason);
    assert_eq!(a.recommendation, Recommendation::NoSignificantDifference);
}

#[test]
fn identical_samples_are_no_difference() {
    let c = affine(&normals(7, 50), 1.0, 10.0);
    let a = analyze_with_auto_select(&c, &c, &AnalysisConfig::default()).unwrap();
    assert_eq!(a.recommendation, Recommendation::NoSignificantDifference);
    assert_eq!(a.change_pct, 0.0);
    let consts = analyze_with_auto_select(&[3.0; 40], &[3.0; 40], &AnalysisConfig::default());
    assert_eq!(
        consts.unwrap().recommendation,
        Recommendation::NoSignificantDifference
    );
}

#[test]
fn significant_but_tiny_changes_are_noise() {
    // 0.5% faster with almost no spread: p is tiny but below the 1% threshold.
    let c = affine(&normals(8, 100), 0.001, 100.0);
    let t = affine(&normals(9, 100), 0.001, 99.5);
    let a = analyze_with_auto_select(&c, &t, &AnalysisConfig::default()).unwrap();
    assert!(a.p_value < 1e-10);
    assert_eq!(a.recommendation, Recommendation::NoSignificantDifference);
    let strict = AnalysisConfig {
        noise_threshold: 0.001,
        ..AnalysisConfig::default()
    };
    let a = analyze_with_auto_select(&c, &t, &strict).unwrap();
    assert!(matches!(
        a.recommendation,
        Recommendation::TreatmentBetter { .. }
    ));
}

#[test]
fn zero_control_centre_gives_nan_change() {
    let c = affine(&normals(10, 60), 1.0, 0.0);
    let mut c0 = c.clone();
    let m = crate::sum::mean(&c);
    c0.iter_mut().for_each(|x| *x -= m);
    let t = affine(&c0, 1.0, 5.0);
    let a = analyze_with_auto_select(&c0, &t, &AnalysisConfig::default()).unwrap();
    if a.test == TestKind::Welch && crate::sum::mean(&c0) == 0.0 {
        assert!(a.change_pct.is_nan());
    }
    // Direction then comes from the effect size.
    assert!(matches!(
        a.recommendation,
        Recommendation::ControlBetter { .. }
    ));
}

#[test]
fn bad_input_and_config_are_errors() {
    let ok = [1.0, 2.0, 3.0];
    let cfg = AnalysisConfig::default();
    assert!(matches!(
        analyze_with_auto_select(&[1.0], &ok, &cfg),
        Err(Error::TooFewSamples {
            sample: "control",
            ..
        })
    ));
    assert!(matches!(
        analyze_with_auto_select(&ok, &[1.0, f64::NAN], &cfg),
        Err(Error::NonFinite {
            sample: "treatment",
            index: 1,
            ..
        })
    ));
    for bad in [
        AnalysisConfig {
            alpha: 0.0,
            ..cfg.clone()
        },
        AnalysisConfig {
            alpha: f64::NAN,
            ..cfg.clone()
        },
        AnalysisConfig {
            noise_threshold: -0.1,
            ..cfg.clone()
        },
        AnalysisConfig {
            bootstrap_resamples: 0,
            ..cfg.clone()
        },
    ] {
        assert!(matches!(
            analyze_with_auto_select(&ok, &ok, &bad),
            Err(Error::InvalidParameter { .. })
        ));
    }
}
