//! Sparklines: a run of samples in one line of block characters.

use crate::data::BenchmarkData;

const TICKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The samples of `data` in measurement order as a sparkline at most
/// `width` characters wide: drift, warm-up and periodic stalls show as a
/// shape.
///
/// With more samples than `width` each character is the mean of a run of
/// consecutive samples; with fewer, one character per sample. The lowest
/// value maps to `▁`, the highest to `█`. A `width` of 0 gives an empty
/// string.
///
/// ```
/// use realizar_viz::{BenchmarkData, render_sparkline};
/// let d = BenchmarkData::new("t", vec![1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0, 8.0])?;
/// assert_eq!(render_sparkline(&d, 8), "▁▂▃▄▃▂▁█");
/// assert_eq!(render_sparkline(&d, 4).chars().count(), 4);
/// # Ok::<(), realizar_viz::Error>(())
/// ```
pub fn render_sparkline(data: &BenchmarkData, width: usize) -> String {
    sparkline(data.latencies_us(), width)
}

/// [`render_sparkline`] of a plain slice. Non-finite values show as a
/// space and are left out of the scale.
pub fn sparkline(values: &[f64], width: usize) -> String {
    let points = bucket_means(values, width);
    let finite = points.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    let span = hi - lo;
    points
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                ' '
            } else if span <= 0.0 {
                TICKS[0]
            } else {
                let i = ((v - lo) / span * (TICKS.len() - 1) as f64).round() as usize;
                TICKS[i.min(TICKS.len() - 1)]
            }
        })
        .collect()
}

/// Means of `width` runs of consecutive values (all values when there are
/// no more than `width`).
pub(crate) fn bucket_means(values: &[f64], width: usize) -> Vec<f64> {
    let n = values.len();
    if width == 0 || n == 0 {
        return Vec::new();
    }
    if n <= width {
        return values.to_vec();
    }
    (0..width)
        .map(|i| {
            let run = &values[i * n / width..(i + 1) * n / width];
            run.iter().sum::<f64>() / run.len() as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(sparkline(&[], 10), "");
        assert_eq!(sparkline(&[1.0, 2.0], 0), "");
        assert_eq!(sparkline(&[5.0, 5.0, 5.0], 10), "▁▁▁");
        assert_eq!(sparkline(&[0.0, 7.0], 10), "▁█");
        assert_eq!(sparkline(&[0.0, f64::NAN, 7.0], 10), "▁ █");
        // 8 values into 4 columns: means of pairs.
        assert_eq!(
            sparkline(&[0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 7.0, 7.0], 4),
            "▁▂▃█"
        );
        // Uneven runs still cover every value once.
        let v: Vec<f64> = (0..1000).map(f64::from).collect();
        let s = sparkline(&v, 7);
        assert_eq!(s.chars().count(), 7);
        assert!(s.starts_with('▁') && s.ends_with('█'));
    }
}
