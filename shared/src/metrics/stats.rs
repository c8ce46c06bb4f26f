//! Summary statistics of a set of values, computed the same way on every
//! target: values are sorted before they are summed, and only operations
//! IEEE 754 defines exactly (+, -, *, /, sqrt) are used, so the page and the
//! CLI print the same digits.

use serde::{Deserialize, Serialize};

/// Below this many values a spread (standard deviation, CV, p95) says
/// nothing useful about noise.
pub const SMALL_SAMPLE: u64 = 3;

/// n, centre, spread and range of a set of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: u64,
    pub mean: f64,
    pub median: f64,
    /// 95th percentile, linear interpolation between closest ranks (as
    /// NumPy's default and Excel's `PERCENTILE.INC`).
    pub p95: f64,
    pub min: f64,
    pub max: f64,
    /// Sample standard deviation (n - 1); absent for a single value.
    pub std_dev: Option<f64>,
    /// Coefficient of variation, std_dev / mean, as a ratio (0.05 = 5%);
    /// absent when the mean is zero or there is a single value.
    pub cv: Option<f64>,
    /// True when n is below 3: the spread cannot be trusted.
    pub small_sample: bool,
}

impl Summary {
    /// Summarises `values`; `None` when there are none. Non-finite values
    /// never reach here: the extractors drop them.
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let count = n as f64;
        let mean = sorted.iter().sum::<f64>() / count;
        let std_dev = (n > 1).then(|| {
            let squares: f64 = sorted.iter().map(|v| (v - mean) * (v - mean)).sum();
            (squares / (count - 1.0)).sqrt()
        });
        let cv = std_dev.filter(|_| mean != 0.0).map(|sd| sd / mean.abs());
        Some(Summary {
            n: n as u64,
            mean: round(mean),
            median: round(quantile(&sorted, 0.5)),
            p95: round(quantile(&sorted, 0.95)),
            min: round(sorted[0]),
            max: round(sorted[n - 1]),
            std_dev: std_dev.map(round),
            cv: cv.map(round),
            small_sample: (n as u64) < SMALL_SAMPLE,
        })
    }

    /// Standard error of the mean, when there is a spread to speak of.
    pub fn standard_error(&self) -> Option<f64> {
        self.std_dev.map(|sd| sd / (self.n as f64).sqrt())
    }
}

/// The `q` quantile of sorted values, interpolating linearly between the two
/// closest ranks.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len() - 1;
    let position = q * last as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(last);
    let fraction = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * fraction
}

/// Rounds to six decimal places for output: nanoseconds for times, a
/// millionth of a token per second for rates. Keeps `5.7669 s` from printing
/// as `5766.900000000001` ms.
pub fn round(value: f64) -> f64 {
    let scaled = (value * 1e6).round() / 1e6;
    // Avoid printing -0.0.
    if scaled == 0.0 { 0.0 } else { scaled }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_set_summarises_as_by_hand() {
        let summary = Summary::of(&[4.0, 1.0, 3.0, 2.0, 5.0]).unwrap();
        assert_eq!(summary.n, 5);
        assert_eq!(summary.mean, 3.0);
        assert_eq!(summary.median, 3.0);
        assert_eq!(summary.min, 1.0);
        assert_eq!(summary.max, 5.0);
        // numpy.percentile([1,2,3,4,5], 95) == 4.8
        assert_eq!(summary.p95, 4.8);
        // statistics.stdev([1,2,3,4,5]) == 1.5811388300841898
        assert_eq!(summary.std_dev, Some(1.581139));
        assert_eq!(summary.cv, Some(0.527046));
        assert!(!summary.small_sample);
    }

    #[test]
    fn an_even_count_takes_the_middle_pair_for_the_median() {
        let summary = Summary::of(&[10.0, 20.0, 30.0, 40.0]).unwrap();
        assert_eq!(summary.median, 25.0);
    }

    #[test]
    fn one_or_two_values_are_flagged_as_too_few() {
        let one = Summary::of(&[7.0]).unwrap();
        assert_eq!(one.std_dev, None);
        assert_eq!(one.cv, None);
        assert_eq!(one.p95, 7.0);
        assert!(one.small_sample);
        let two = Summary::of(&[2.0, 5.0]).unwrap();
        assert!(two.small_sample);
        // statistics.stdev([2, 5]) == 2.1213203435596424
        assert_eq!(two.std_dev, Some(2.12132));
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn a_zero_mean_has_no_coefficient_of_variation() {
        let summary = Summary::of(&[-1.0, 1.0]).unwrap();
        assert_eq!(summary.cv, None);
    }

    #[test]
    fn the_order_of_values_does_not_change_the_result() {
        let a = Summary::of(&[0.1, 0.2, 0.3, 1e9, 0.7]).unwrap();
        let b = Summary::of(&[1e9, 0.7, 0.3, 0.2, 0.1]).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn rounding_hides_conversion_noise() {
        assert_eq!(round(5.7669 * 1000.0), 5766.9);
        assert_eq!(round(-0.0000001), 0.0);
    }
}
