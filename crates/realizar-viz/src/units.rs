//! Time units: every view shows microsecond samples in ns, µs, ms or s,
//! whichever keeps the number between 1 and 1000.

/// A unit of time for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Nanoseconds.
    Ns,
    /// Microseconds.
    Us,
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
}

impl TimeUnit {
    /// The unit that shows `us` microseconds as a number in `[1, 1000)`
    /// (ns below 1 µs, s from 1 s up).
    pub fn for_us(us: f64) -> Self {
        let a = us.abs();
        if a < 1.0 {
            Self::Ns
        } else if a < 1e3 {
            Self::Us
        } else if a < 1e6 {
            Self::Ms
        } else {
            Self::S
        }
    }

    /// The unit's symbol: `ns`, `µs`, `ms` or `s`.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Ns => "ns",
            Self::Us => "µs",
            Self::Ms => "ms",
            Self::S => "s",
        }
    }

    /// `us` microseconds expressed in this unit.
    pub fn from_us(self, us: f64) -> f64 {
        match self {
            Self::Ns => us * 1e3,
            Self::Us => us,
            Self::Ms => us * 1e-3,
            Self::S => us * 1e-6,
        }
    }
}

/// A number with four significant figures for numbers in [1, 1000):
/// `6.714`, `12.35`, `123.4`; larger numbers keep their integer digits.
pub fn format_number(v: f64) -> String {
    let a = v.abs();
    let decimals = if a >= 1000.0 {
        0
    } else if a >= 100.0 {
        1
    } else if a >= 10.0 {
        2
    } else {
        3
    };
    format!("{v:.decimals$}")
}

/// `us` microseconds in `unit`, e.g. `"12.35 ms"`.
pub fn format_in(us: f64, unit: TimeUnit) -> String {
    format!("{} {}", format_number(unit.from_us(us)), unit.symbol())
}

/// `us` microseconds in the unit that suits it, e.g. `"850.0 ns"`,
/// `"6.714 µs"`, `"12.35 ms"`, `"1.500 s"`.
pub fn format_us(us: f64) -> String {
    format_in(us, TimeUnit::for_us(us))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_scale() {
        assert_eq!(format_us(0.85), "850.0 ns");
        assert_eq!(format_us(0.0042), "4.200 ns");
        assert_eq!(format_us(6.71434), "6.714 µs");
        assert_eq!(format_us(999.96), "1000.0 µs");
        assert_eq!(format_us(12_345.0), "12.35 ms");
        assert_eq!(format_us(1_500_000.0), "1.500 s");
        assert_eq!(format_us(12_345_678_000.0), "12346 s");
        assert_eq!(format_in(1500.0, TimeUnit::Us), "1500 µs");
        assert_eq!(TimeUnit::for_us(0.0), TimeUnit::Ns);
        assert_eq!(TimeUnit::Ms.from_us(2500.0), 2.5);
    }
}
