//! Layout arithmetic for the page's metric charts: axis scales with tick
//! marks, marker shapes as SVG path data, and the small number formats the
//! charts and tables share. Pure, so it is tested natively; the page only
//! turns these positions into SVG elements.

/// A positive axis whose largest value is at least this many times its
/// smallest is drawn on a log scale: TTFT means of 50 ms and 6,500 ms on one
/// linear axis would squash every warm run into one corner.
pub const LOG_SPAN: f64 = 30.0;

/// Distinct marker shapes; past these the shapes repeat hollow.
pub const SHAPES: usize = 8;

/// Maps the values of one axis onto a span of the drawing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Domain ends, as log10 of the values on a log scale.
    lo: f64,
    hi: f64,
    start: f64,
    end: f64,
    log: bool,
    /// Distance between ticks on a linear scale.
    step: f64,
    /// Domain ends in the values' own terms, kept exact for the ticks.
    domain: (f64, f64),
}

/// Roughly how many tick intervals an axis gets.
const TICK_INTERVALS: f64 = 6.0;

/// One labelled mark on an axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub value: f64,
    /// Position in drawing units.
    pub at: f64,
    pub label: String,
}

impl Scale {
    /// A scale for `values` drawn from `start` to `end` (either way round):
    /// logarithmic when they are all positive and span [`LOG_SPAN`],
    /// otherwise linear. Ends are widened to round numbers; non-finite
    /// values are ignored.
    pub fn fit(values: impl IntoIterator<Item = f64>, start: f64, end: f64) -> Scale {
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for value in values.into_iter().filter(|v| v.is_finite()) {
            min = min.min(value);
            max = max.max(value);
        }
        if min > max {
            return Scale::linear(0.0, 1.0, start, end);
        }
        if min > 0.0 && max / min >= LOG_SPAN {
            Scale::log(min, max, start, end)
        } else {
            Scale::linear(min, max, start, end)
        }
    }

    /// A linear scale over `min..=max`, widened to multiples of its tick step.
    pub fn linear(min: f64, max: f64, start: f64, end: f64) -> Scale {
        let (min, max) = if max > min {
            (min, max)
        } else {
            // One value: centre it in a span a tenth of its size.
            let half = (min.abs() * 0.05).max(0.5);
            (min - half, max + half)
        };
        let step = nice_step((max - min) / TICK_INTERVALS);
        let (lo, hi) = ((min / step).floor() * step, (max / step).ceil() * step);
        Scale {
            lo,
            hi,
            start,
            end,
            log: false,
            step,
            domain: (lo, hi),
        }
    }

    /// A log scale over `min..=max` (both positive), widened to the nearest
    /// 1, 2 or 5 times a power of ten.
    pub fn log(min: f64, max: f64, start: f64, end: f64) -> Scale {
        let lo = log_steps(min.log10().floor() - 1.0, max.log10().ceil() + 1.0)
            .take_while(|step| *step <= min)
            .last()
            .unwrap_or(min);
        let hi = log_steps(min.log10().floor(), max.log10().ceil() + 1.0)
            .find(|step| *step >= max)
            .unwrap_or(max);
        Scale {
            lo: lo.log10(),
            hi: hi.log10(),
            start,
            end,
            log: true,
            step: 0.0,
            domain: (lo, hi),
        }
    }

    pub fn is_log(&self) -> bool {
        self.log
    }

    /// Where `value` sits, in drawing units. Values outside the domain land
    /// outside the span; on a log scale values at or below zero land at its
    /// start.
    pub fn at(&self, value: f64) -> f64 {
        let value = if self.log {
            if value > 0.0 { value.log10() } else { self.lo }
        } else {
            value
        };
        let fraction = if self.hi > self.lo {
            (value - self.lo) / (self.hi - self.lo)
        } else {
            0.5
        };
        self.start + fraction * (self.end - self.start)
    }

    /// The domain's ends, in the values' own terms.
    pub fn domain(&self) -> (f64, f64) {
        self.domain
    }

    /// Labelled marks across the domain, both ends included: round steps on
    /// a linear scale; 1, 2 and 5 per decade on a log scale (powers of ten
    /// only past three decades).
    pub fn ticks(&self) -> Vec<Tick> {
        let (lo, hi) = self.domain();
        let values: Vec<(f64, f64)> = if self.log {
            let every = self.hi - self.lo <= 3.0 + 1e-9;
            log_steps(self.lo.floor(), self.hi.ceil())
                .filter(|v| every || is_power_of_ten(*v))
                .filter(|v| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9))
                .map(|v| (v, v))
                .collect()
        } else {
            let count = ((hi - lo) / self.step).round() as i64;
            (0..=count)
                .map(|i| (lo + i as f64 * self.step, self.step))
                .collect()
        };
        values
            .into_iter()
            .map(|(value, step)| Tick {
                value,
                at: self.at(value),
                label: tick_label(value, step),
            })
            .collect()
    }
}

/// 1, 2 or 5 times a power of ten, the smallest at least `rough`.
pub fn nice_step(rough: f64) -> f64 {
    if !(rough.is_finite() && rough > 0.0) {
        return 1.0;
    }
    let power = 10f64.powi(rough.log10().floor() as i32);
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= rough * (1.0 - 1e-9))
        .unwrap_or(10.0 * power)
}

/// 1, 2 and 5 times each power of ten from `10^from` up to `10^to`.
fn log_steps(from: f64, to: f64) -> impl Iterator<Item = f64> {
    let (from, to) = (from as i32, to as i32);
    (from..=to).flat_map(|exp| {
        let power = 10f64.powi(exp);
        [power, 2.0 * power, 5.0 * power]
    })
}

fn is_power_of_ten(value: f64) -> bool {
    let exp = value.log10();
    (exp - exp.round()).abs() < 1e-9
}

/// A tick's label: as many decimals as its step needs, whole thousands from
/// ten thousand as `k`, whole millions as `M`.
pub fn tick_label(value: f64, step: f64) -> String {
    let value = if value.abs() < step * 1e-9 {
        0.0
    } else {
        value
    };
    if value.abs() >= 1_000_000.0 && (value / 1_000_000.0).fract() == 0.0 {
        return format!("{}M", value / 1_000_000.0);
    }
    if value.abs() >= 10_000.0 && (value / 1000.0).fract() == 0.0 {
        return format!("{}k", value / 1000.0);
    }
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{value:.decimals$}")
}

/// A number for a table cell or a point's description: whole thousands,
/// one decimal from 100, otherwise enough decimals for three or four
/// significant digits.
pub fn figure(value: f64) -> String {
    let magnitude = value.abs();
    let decimals = if magnitude >= 1000.0 {
        0
    } else if magnitude >= 100.0 {
        1
    } else if magnitude >= 1.0 {
        2
    } else {
        3
    };
    format!("{value:.decimals$}")
}

/// The marker of the `index`-th series: a shape, filled for the first
/// [`SHAPES`] series and hollow for the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub shape: usize,
    pub hollow: bool,
}

impl Marker {
    pub fn nth(index: usize) -> Marker {
        Marker {
            shape: index % SHAPES,
            hollow: (index / SHAPES) % 2 == 1,
        }
    }

    /// The marker in words, for legends read aloud.
    pub fn name(self) -> String {
        let shape = [
            "circle",
            "square",
            "triangle",
            "diamond",
            "downward triangle",
            "cross",
            "plus",
            "star",
        ][self.shape];
        if self.hollow {
            format!("hollow {shape}")
        } else {
            shape.to_string()
        }
    }

    /// SVG path data for the marker centred on (`x`, `y`) with radius `r`.
    /// Every shape is a closed outline, so it can be filled or hollow.
    pub fn path(self, x: f64, y: f64, r: f64) -> String {
        let outline: Vec<(f64, f64)> = match self.shape {
            0 => {
                return format!(
                    "M{:.1} {y:.1}a{r:.1} {r:.1} 0 1 0 {:.1} 0a{r:.1} {r:.1} 0 1 0 {:.1} 0Z",
                    x - r,
                    2.0 * r,
                    -2.0 * r
                );
            }
            1 => {
                let s = r * 0.85;
                vec![(-s, -s), (s, -s), (s, s), (-s, s)]
            }
            2 => vec![(0.0, -1.15 * r), (r, 0.85 * r), (-r, 0.85 * r)],
            3 => vec![
                (0.0, -1.2 * r),
                (1.2 * r, 0.0),
                (0.0, 1.2 * r),
                (-1.2 * r, 0.0),
            ],
            4 => vec![(0.0, 1.15 * r), (r, -0.85 * r), (-r, -0.85 * r)],
            5 => plus(1.2 * r)
                .into_iter()
                .map(|(px, py)| {
                    // The plus turned by 45 degrees.
                    let k = std::f64::consts::FRAC_1_SQRT_2;
                    ((px - py) * k, (px + py) * k)
                })
                .collect(),
            6 => plus(1.15 * r),
            _ => STAR
                .iter()
                .enumerate()
                .map(|(i, (sin, cos))| {
                    let radius = if i % 2 == 0 { 1.25 * r } else { 0.55 * r };
                    (radius * sin, -radius * cos)
                })
                .collect(),
        };
        let mut d = String::new();
        for (i, (dx, dy)) in outline.iter().enumerate() {
            let command = if i == 0 { 'M' } else { 'L' };
            d.push_str(&format!("{command}{:.1} {:.1}", x + dx, y + dy));
        }
        d.push('Z');
        d
    }
}

/// A plus sign of half-length `r` with arms a third as thick, as an outline.
fn plus(r: f64) -> Vec<(f64, f64)> {
    let w = r / 3.0;
    vec![
        (-w, -r),
        (w, -r),
        (w, -w),
        (r, -w),
        (r, w),
        (w, w),
        (w, r),
        (-w, r),
        (-w, w),
        (-r, w),
        (-r, -w),
        (-w, -w),
    ]
}

/// Sine and cosine of every 36 degrees, for the star's ten corners: written
/// out so the page needs no trigonometry code.
const STAR: [(f64, f64); 10] = [
    (0.0, 1.0),
    (0.587_785, 0.809_017),
    (0.951_057, 0.309_017),
    (0.951_057, -0.309_017),
    (0.587_785, -0.809_017),
    (0.0, -1.0),
    (-0.587_785, -0.809_017),
    (-0.951_057, -0.309_017),
    (-0.951_057, 0.309_017),
    (-0.587_785, 0.809_017),
];

/// A spread-out offset in `-1..=1` for the `index`-th point of a strip, so
/// equal values do not hide one another. Deterministic: the golden-ratio
/// sequence fills the band evenly whatever the count.
pub fn jitter(index: usize) -> f64 {
    const GOLDEN: f64 = 0.618_033_988_749_895;
    ((index as f64 + 1.0) * GOLDEN).fract() * 2.0 - 1.0
}

/// Which of `levels` equal bands of `min..=max` holds `value` (0 the lowest),
/// for shading heat-map cells; the middle band when the range is empty.
pub fn band(value: f64, min: f64, max: f64, levels: usize) -> usize {
    if levels == 0 {
        return 0;
    }
    if max <= min || !value.is_finite() {
        return levels / 2;
    }
    let fraction = ((value - min) / (max - min)).clamp(0.0, 1.0);
    ((fraction * levels as f64) as usize).min(levels - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(scale: &Scale) -> Vec<String> {
        scale.ticks().into_iter().map(|t| t.label).collect()
    }

    #[test]
    fn a_linear_scale_widens_to_round_ticks() {
        let scale = Scale::fit([13.2, 303.9], 300.0, 20.0);
        assert!(!scale.is_log());
        assert_eq!(scale.domain(), (0.0, 350.0));
        assert_eq!(
            labels(&scale),
            ["0", "50", "100", "150", "200", "250", "300", "350"]
        );
        // Drawn bottom up: the smallest value is at the start.
        assert_eq!(scale.at(0.0), 300.0);
        assert_eq!(scale.at(350.0), 20.0);
    }

    #[test]
    fn small_steps_get_the_decimals_they_need() {
        let scale = Scale::linear(76.9, 78.5, 0.0, 100.0);
        assert_eq!(scale.domain(), (76.5, 78.5));
        assert_eq!(labels(&scale), ["76.5", "77.0", "77.5", "78.0", "78.5"]);
    }

    #[test]
    fn ttft_spanning_two_decades_is_drawn_on_a_log_scale() {
        let scale = Scale::fit([53.58, 6538.35, 120.0], 0.0, 500.0);
        assert!(scale.is_log());
        assert_eq!(scale.domain(), (50.0, 10_000.0));
        assert_eq!(
            labels(&scale),
            ["50", "100", "200", "500", "1000", "2000", "5000", "10k"]
        );
        assert_eq!(scale.at(50.0), 0.0);
        assert!((scale.at(10_000.0) - 500.0).abs() < 1e-9);
        let hundred = scale.at(100.0);
        let thousand = scale.at(1000.0);
        let ten_thousand = scale.at(10_000.0);
        assert!((thousand - hundred - (ten_thousand - thousand)).abs() < 1e-9);
    }

    #[test]
    fn wide_log_scales_label_powers_of_ten_only() {
        let scale = Scale::fit([0.5, 2_000_000.0], 0.0, 100.0);
        assert_eq!(scale.domain(), (0.5, 2_000_000.0));
        assert_eq!(
            labels(&scale),
            ["1", "10", "100", "1000", "10k", "100k", "1M"]
        );
    }

    #[test]
    fn values_with_zero_or_a_small_spread_stay_linear() {
        assert!(!Scale::fit([0.0, 5000.0], 0.0, 1.0).is_log());
        assert!(!Scale::fit([100.0, 2900.0], 0.0, 1.0).is_log());
    }

    #[test]
    fn a_single_value_gets_a_span_around_it() {
        let scale = Scale::fit([78.4], 0.0, 100.0);
        let (lo, hi) = scale.domain();
        assert!(lo < 78.4 && hi > 78.4, "{lo}..{hi}");
        let at = scale.at(78.4);
        assert!(at > 0.0 && at < 100.0);
    }

    #[test]
    fn no_values_give_a_unit_scale_and_non_finite_ones_are_ignored() {
        assert_eq!(Scale::fit([], 0.0, 10.0).domain(), (0.0, 1.0));
        let scale = Scale::fit([f64::NAN, 2.0, f64::INFINITY, 4.0], 0.0, 10.0);
        assert_eq!(scale.domain(), (2.0, 4.0));
    }

    #[test]
    fn nice_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(58.0), 100.0);
        assert_eq!(nice_step(40.0), 50.0);
        assert_eq!(nice_step(20.0), 20.0);
        assert_eq!(nice_step(0.13), 0.2);
    }

    #[test]
    fn figures_keep_three_or_four_significant_digits() {
        assert_eq!(figure(1653.9953), "1654");
        assert_eq!(figure(283.55815), "283.6");
        assert_eq!(figure(78.444), "78.44");
        assert_eq!(figure(0.3), "0.300");
        assert_eq!(tick_label(0.30000000000000004, 0.1), "0.3");
        assert_eq!(tick_label(-1e-17, 0.1), "0.0");
    }

    #[test]
    fn markers_differ_by_shape_then_by_fill() {
        assert_eq!(Marker::nth(0).name(), "circle");
        assert_eq!(Marker::nth(7).name(), "star");
        assert_eq!(Marker::nth(9).name(), "hollow square");
        assert_eq!(Marker::nth(16), Marker::nth(0));
        let paths: Vec<String> = (0..SHAPES)
            .map(|i| Marker::nth(i).path(10.0, 10.0, 4.0))
            .collect();
        for (i, path) in paths.iter().enumerate() {
            assert!(path.starts_with('M') && path.ends_with('Z'), "{path}");
            assert!(
                !paths[..i].contains(path),
                "shape {i} repeats an earlier one"
            );
        }
        assert_eq!(
            Marker::nth(1).path(10.0, 10.0, 4.0),
            "M6.6 6.6L13.4 6.6L13.4 13.4L6.6 13.4Z"
        );
    }

    #[test]
    fn the_star_table_holds_every_36_degrees() {
        for (i, (sin, cos)) in STAR.iter().enumerate() {
            let angle = std::f64::consts::PI * i as f64 / 5.0;
            assert!((angle.sin() - sin).abs() < 1e-6 && (angle.cos() - cos).abs() < 1e-6);
        }
    }

    #[test]
    fn jitter_spreads_points_across_the_band() {
        let offsets: Vec<f64> = (0..50).map(jitter).collect();
        assert!(offsets.iter().all(|o| (-1.0..=1.0).contains(o)));
        assert!(offsets.iter().any(|o| *o < -0.8) && offsets.iter().any(|o| *o > 0.8));
        assert_eq!(jitter(3), jitter(3));
    }

    #[test]
    fn bands_split_the_range_evenly() {
        assert_eq!(band(0.0, 0.0, 10.0, 5), 0);
        assert_eq!(band(4.0, 0.0, 10.0, 5), 2);
        assert_eq!(band(10.0, 0.0, 10.0, 5), 4);
        assert_eq!(band(3.0, 3.0, 3.0, 5), 2);
        assert_eq!(band(f64::NAN, 0.0, 1.0, 5), 2);
    }
}
