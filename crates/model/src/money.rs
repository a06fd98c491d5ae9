//! Exact money. Amounts are decimals (never floats); tenge values are integer tiyn.

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

/// Why a decimal string is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseAmountError {
    #[error("empty amount")]
    Empty,
    #[error("'{0}' is not a decimal number (digits, one optional '.', optional leading '-')")]
    Syntax(String),
    #[error("'{0}' has more digits than an exact decimal holds (28)")]
    TooLarge(String),
}

/// Parses a strict decimal string: `-?[0-9]+(\.[0-9]+)?`. No exponent, no thousands separators,
/// no spaces: a provider's `1,250,000` or `1e6` is an error to report, not a number to guess.
pub fn parse_decimal(s: &str) -> Result<Decimal, ParseAmountError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(ParseAmountError::Empty);
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let mut mantissa: i128 = 0;
    let mut scale: u32 = 0;
    let mut seen_dot = false;
    let mut int_digits = 0usize;
    let mut frac_digits = 0usize;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa
                    .checked_mul(10)
                    .and_then(|m| m.checked_add(i128::from(c - b'0')))
                    .ok_or_else(|| ParseAmountError::TooLarge(s.to_string()))?;
                if seen_dot {
                    scale += 1;
                    frac_digits += 1;
                } else {
                    int_digits += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return Err(ParseAmountError::Syntax(s.to_string())),
        }
    }
    if int_digits == 0 || (seen_dot && frac_digits == 0) {
        return Err(ParseAmountError::Syntax(s.to_string()));
    }
    if scale > 28 {
        return Err(ParseAmountError::TooLarge(s.to_string()));
    }
    if neg {
        mantissa = -mantissa;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale)
        .map_err(|_| ParseAmountError::TooLarge(s.to_string()))
}

/// A tenge amount in tiyn (1 KZT = 100 tiyn). `i64` holds ±92 quadrillion tenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Kzt(pub i64);

impl Kzt {
    pub const fn from_tenge(tenge: i64) -> Kzt {
        Kzt(tenge * 100)
    }

    /// The exact tenge value of a decimal that has at most two decimal places.
    pub fn exact(d: Decimal) -> Option<Kzt> {
        let n = d.normalize();
        if n.scale() > 2 {
            return None;
        }
        Self::rounded(n)
    }

    /// Rounds a decimal tenge value to the tiyn, half to even (banker's rounding, so that
    /// valuing many transactions does not drift in one direction).
    pub fn rounded(d: Decimal) -> Option<Kzt> {
        let r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
        let tiyn = r.checked_mul(Decimal::ONE_HUNDRED)?;
        i64::try_from(tiyn.mantissa() / 10i128.pow(tiyn.scale()))
            .ok()
            .map(Kzt)
    }

    /// `amount × rate` in tiyn, rounded half to even: the tenge value of a foreign amount.
    /// Integer arithmetic on the mantissas (exact, and much faster than decimal multiplication
    /// on the ingest path); decimal arithmetic only when the product would overflow `i128`.
    pub fn value_of(amount: Decimal, rate: Decimal) -> Option<Kzt> {
        let scale = amount.scale() + rate.scale();
        let Some(m) = amount.mantissa().checked_mul(rate.mantissa()) else {
            return amount.checked_mul(rate).and_then(Kzt::rounded);
        };
        let tiyn = if scale <= 2 {
            m.checked_mul(10i128.pow(2 - scale))?
        } else {
            let div = 10i128.checked_pow(scale - 2)?;
            let (q, r) = (m / div, m % div);
            let twice = r.abs() * 2;
            let up = twice > div || (twice == div && q % 2 != 0);
            if up {
                q + m.signum()
            } else {
                q
            }
        };
        i64::try_from(tiyn).ok().map(Kzt)
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// `1,250,000.00 KZT`: the form an analyst reads in a reason.
    pub fn grouped(self) -> String {
        self.grouped_display().to_string()
    }

    /// [`Kzt::grouped`] written straight into a formatter, for a caller that writes many.
    pub fn grouped_display(self) -> Grouped {
        Grouped(self)
    }
}

/// A sum in the grouped form of [`Kzt::grouped`].
#[derive(Debug, Clone, Copy)]
pub struct Grouped(Kzt);

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0 .0.unsigned_abs();
        if self.0 .0 < 0 {
            f.write_str("-")?;
        }
        // Digits of the whole tenge, most significant first, then groups of three.
        let whole = abs / 100;
        let mut digits = [0u8; 20];
        let mut n = 0;
        let mut x = whole;
        loop {
            digits[n] = b'0' + (x % 10) as u8;
            n += 1;
            x /= 10;
            if x == 0 {
                break;
            }
        }
        let mut out = [0u8; 27];
        let mut len = 0;
        for i in (0..n).rev() {
            out[len] = digits[i];
            len += 1;
            if i > 0 && i % 3 == 0 {
                out[len] = b',';
                len += 1;
            }
        }
        // Only ASCII digits and commas were written.
        f.write_str(std::str::from_utf8(&out[..len]).map_err(|_| fmt::Error)?)?;
        write!(f, ".{:02} KZT", abs % 100)
    }
}

impl fmt::Display for Kzt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// A currency code interned per dataset. Id 0 is always KZT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(pub u16);

impl Currency {
    pub const KZT: Currency = Currency(0);
}

/// The currencies a dataset uses. Codes are ISO 4217 (`USD`) or crypto tickers (`USDT`).
#[derive(Debug, Clone)]
pub struct Currencies {
    codes: Vec<Box<str>>,
}

impl Default for Currencies {
    fn default() -> Self {
        Currencies {
            codes: vec!["KZT".into()],
        }
    }
}

impl Currencies {
    /// Upper-case letters and digits, 2 to 10 long, starting with a letter: ISO 4217 codes and
    /// the tickers exchanges use. Lower case is refused rather than folded, so that a provider
    /// learns of the mistake.
    pub fn is_valid_code(code: &str) -> bool {
        let b = code.as_bytes();
        (2..=10).contains(&b.len())
            && b[0].is_ascii_uppercase()
            && b.iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    }

    pub fn get(&self, code: &str) -> Option<Currency> {
        self.codes
            .iter()
            .position(|c| &**c == code)
            .map(|i| Currency(i as u16))
    }

    /// Interns a code already checked with [`Currencies::is_valid_code`]. A dataset holds few
    /// currencies, so a linear scan beats hashing here.
    pub fn intern(&mut self, code: &str) -> Option<Currency> {
        if let Some(c) = self.get(code) {
            return Some(c);
        }
        let id = u16::try_from(self.codes.len()).ok()?;
        self.codes.push(code.into());
        Some(Currency(id))
    }

    pub fn code(&self, c: Currency) -> &str {
        &self.codes[c.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Currency, &str)> {
        self.codes
            .iter()
            .enumerate()
            .map(|(i, c)| (Currency(i as u16), &**c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(
            parse_decimal("1250000.00").unwrap().to_string(),
            "1250000.00"
        );
        assert_eq!(parse_decimal("0.002941").unwrap().to_string(), "0.002941");
        assert_eq!(parse_decimal("-5").unwrap().to_string(), "-5");
        assert_eq!(
            parse_decimal("0.000000000000000001").unwrap().to_string(),
            "0.000000000000000001"
        );
        for bad in [
            "", "1,000", "1e6", " 1", "1.", ".5", "1.2.3", "abc", "-", "NaN",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(matches!(
            parse_decimal("123456789012345678901234567890"),
            Err(ParseAmountError::TooLarge(_))
        ));
    }

    #[test]
    fn tenge_is_exact_or_refused() {
        assert_eq!(
            Kzt::exact(parse_decimal("600000.5").unwrap()),
            Some(Kzt(60_000_050))
        );
        assert_eq!(Kzt::exact(parse_decimal("1.230").unwrap()), Some(Kzt(123)));
        assert_eq!(Kzt::exact(parse_decimal("1.235").unwrap()), None);
        assert_eq!(
            Kzt::rounded(parse_decimal("1.235").unwrap()),
            Some(Kzt(124))
        );
        assert_eq!(
            Kzt::rounded(parse_decimal("1.225").unwrap()),
            Some(Kzt(122))
        );
        assert_eq!(Kzt(123_456_789).to_string(), "1234567.89");
        assert_eq!(Kzt(50_000_001).grouped(), "500,000.01 KZT");
        assert_eq!(Kzt(-100).grouped(), "-1.00 KZT");
        assert_eq!(Kzt(0).grouped(), "0.00 KZT");
        assert_eq!(Kzt(99_999_900).grouped(), "999,999.00 KZT");
        assert_eq!(Kzt(12_345_678_905).grouped(), "123,456,789.05 KZT");
        assert_eq!(Kzt(i64::MIN).grouped(), "-92,233,720,368,547,758.08 KZT");
        assert_eq!(Kzt(5).to_string(), "0.05");
        let d = |s| parse_decimal(s).unwrap();
        for (a, r) in [
            ("3697.34", "500"),
            ("0.002941", "45000000"),
            ("1.235", "1"),
            ("1.225", "1"),
            ("0.01", "3.3"),
            ("10000000", "540.123456"),
            ("0.000000000000000001", "1"),
            ("123456789.123456789", "0.0000001"),
        ] {
            assert_eq!(
                Kzt::value_of(d(a), d(r)),
                Kzt::rounded(d(a) * d(r)),
                "{a} × {r}: integer and decimal arithmetic agree"
            );
        }
    }

    #[test]
    fn currency_codes() {
        let mut c = Currencies::default();
        assert_eq!(c.get("KZT"), Some(Currency::KZT));
        let usd = c.intern("USD").unwrap();
        assert_eq!(c.intern("USD"), Some(usd));
        assert_eq!(c.code(usd), "USD");
        assert!(Currencies::is_valid_code("USDT"));
        assert!(!Currencies::is_valid_code("usd"));
        assert!(!Currencies::is_valid_code("U"));
        assert!(!Currencies::is_valid_code("1BTC"));
    }
}
