//! Kazakhstan identifiers: IIN, BIN and KZ IBAN.
//!
//! * **IIN** (individual identification number, persons): 12 digits,
//!   `YYMMDD` birth date, a 7th digit encoding century and sex
//!   (1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s; odd male, even female),
//!   a 4-digit serial and a check digit.
//! * **BIN** (business identification number, legal entities): 12 digits,
//!   `YYMM` registration, 5th digit entity type (4 resident, 5 non-resident,
//!   6 sole proprietor in joint business), 6th digit office type
//!   (0 head office, 1 branch, 2 representative office, 3 farm),
//!   a 5-digit serial and a check digit. Because a day of month never starts
//!   with 4–6, the 5th digit tells an IIN (0–3) from a BIN (4–6); see
//!   [`classify`].
//! * **Check digit** (both): `Σ d[i]·(i+1) mod 11` over the first 11 digits;
//!   a result of 10 is retried with weights `3,4,…,11,1,2`; if that is 10 as
//!   well the number is never issued. See [`check_digit`].
//! * **IBAN**: `KZ`, 2 check digits, a 3-digit bank code and 13
//!   alphanumerics, verified with ISO 7064 mod-97.
//!
//! Only a wrong check digit (or a never-issued number) makes an IIN invalid.
//! Since 2013 IINs may be assigned without matching the holder's birth date
//! or sex, so a date or century digit that does not decode is reported as an
//! [`IinSignal`] for the analyst rather than rejected: rejecting it would
//! drop genuine customers from monitoring.
//!
//! ```
//! use finmon_ident::{classify, Iban, Iin, Sex, TaxId};
//!
//! let iin = Iin::parse("871008401427")?;
//! assert_eq!(iin.birth_date(), Some((1987, 10, 8)));
//! assert_eq!(iin.sex(), Some(Sex::Female));
//! assert!(matches!(classify("940140000385"), TaxId::Bin(_)));
//! assert_eq!(Iban::parse("KZ47 6010 1310 0017 9714")?.bank_code(), "601");
//! # Ok::<(), finmon_ident::IdError>(())
//! ```
//!
//! Nothing here panics on any input, and values are stored as fixed-size
//! byte arrays so parsing does not allocate on the success path.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;
use std::str::FromStr;

/// Weights of the fallback pass, used when the plain `1..=11` pass yields 10.
const SECOND_PASS_WEIGHTS: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// Computes the IIN/BIN check digit for the first 11 digits (values `0..=9`,
/// not ASCII).
///
/// Returns `None` when both weightings give 10: such numbers are never
/// issued. Values above 9 do not panic but give a meaningless result.
pub fn check_digit(first11: &[u8; 11]) -> Option<u8> {
    let weighted = |weight: &dyn Fn(usize) -> u32| -> u32 {
        first11
            .iter()
            .enumerate()
            .map(|(i, &d)| u32::from(d) * weight(i))
            .sum::<u32>()
            % 11
    };
    let first = weighted(&|i| i as u32 + 1);
    if first != 10 {
        return Some(first as u8);
    }
    let second = weighted(&|i| SECOND_PASS_WEIGHTS[i]);
    (second != 10).then_some(second as u8)
}

/// Why an identifier was rejected. Messages are worded for analysts.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdError {
    /// Wrong number of characters (after trimming and, for IBANs, removing spaces).
    #[error("has {found} characters, expected {expected}")]
    Length {
        /// Required length.
        expected: usize,
        /// Characters actually given.
        found: usize,
    },
    /// An IIN/BIN contains something other than ASCII digits.
    #[error("contains characters other than the digits 0-9")]
    NotDigits,
    /// The 12th digit does not match the computed check digit.
    #[error("check digit is {found}, expected {}", ExpectedDigit(*.expected))]
    CheckDigit {
        /// Computed check digit (`None` only if it cannot be computed).
        expected: Option<u8>,
        /// Digit actually given.
        found: u8,
    },
    /// Both check-digit passes give 10: no such number is ever issued.
    #[error("no check digit exists for these digits (both weightings give 10), so this number is never issued")]
    NeverIssued,
    /// BIN registration month outside `01..=12`.
    #[error("registration month is {0:02}, expected 01-12")]
    Month(u32),
    /// 5th digit is not a BIN entity type (and, from [`classify`], not an IIN either).
    #[error("fifth digit is {0}: a BIN needs 4 (resident legal entity), 5 (non-resident) or 6 (sole proprietor in joint business), an IIN 0-3")]
    TypeDigit(u8),
    /// 6th digit of a BIN is not an office type.
    #[error("sixth digit is {0}, expected 0 (head office), 1 (branch), 2 (representative office) or 3 (farm)")]
    OfficeDigit(u8),
    /// IBAN is not a Kazakhstan IBAN.
    #[error("country code is \"{0}\", expected \"KZ\" (Kazakhstan IBAN)")]
    Country(String),
    /// IBAN fails the ISO 7064 mod-97 check, typically a typo.
    #[error("IBAN check digits do not match (mod-97 check failed); probably a typo")]
    Mod97,
    /// A character that cannot appear at this place of an IBAN.
    #[error("unexpected character {0:?}")]
    BadChar(char),
}

/// Displays an optional expected check digit inside an error message.
struct ExpectedDigit(Option<u8>);

impl fmt::Display for ExpectedDigit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, "{d}"),
            None => f.write_str("none (never issued)"),
        }
    }
}

/// Parses exactly 12 ASCII digits (surrounding whitespace ignored) and
/// returns them as ASCII bytes.
fn parse_12_digits(s: &str) -> Result<[u8; 12], IdError> {
    let s = s.trim();
    if let Ok(digits) = <[u8; 12]>::try_from(s.as_bytes()) {
        if digits.iter().all(u8::is_ascii_digit) {
            return Ok(digits);
        }
    }
    // Count characters, not bytes, so the message matches what the analyst
    // sees (multi-byte characters count once).
    let found = s.chars().count();
    if found != 12 {
        return Err(IdError::Length {
            expected: 12,
            found,
        });
    }
    Err(IdError::NotDigits)
}

/// Numeric value of the ASCII digit at `i`.
fn digit(ascii: &[u8; 12], i: usize) -> u8 {
    ascii[i].wrapping_sub(b'0')
}

/// Two-digit number at positions `i`, `i + 1`.
fn two_digits(ascii: &[u8; 12], i: usize) -> u32 {
    u32::from(digit(ascii, i)) * 10 + u32::from(digit(ascii, i + 1))
}

fn verify_check_digit(ascii: &[u8; 12]) -> Result<(), IdError> {
    let mut first11 = [0u8; 11];
    for (i, d) in first11.iter_mut().enumerate() {
        *d = digit(ascii, i);
    }
    let found = digit(ascii, 11);
    match check_digit(&first11) {
        None => Err(IdError::NeverIssued),
        Some(expected) if expected == found => Ok(()),
        Some(expected) => Err(IdError::CheckDigit {
            expected: Some(expected),
            found,
        }),
    }
}

fn ascii_str(bytes: &[u8]) -> &str {
    // Contents are validated ASCII at construction, so this never fails.
    std::str::from_utf8(bytes).unwrap_or("")
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Sex encoded in an IIN's 7th digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Odd century digit.
    Male,
    /// Even century digit.
    Female,
}

/// Consistency findings on a valid IIN. None of them makes the IIN invalid,
/// because numbers issued since 2013 need not encode the holder's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IinSignal {
    /// `YYMMDD` with the century digit is not a real calendar date.
    BadDate,
    /// 7th digit is not `1..=6`, so neither century nor sex can be decoded.
    BadCenturyDigit,
    /// The number has a BIN's structure (valid month, 5th digit 4–6,
    /// 6th digit 0–3): possibly a legal entity entered as a person.
    LooksLikeBin,
}

impl fmt::Display for IinSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IinSignal::BadDate => "birth date digits do not form a real date",
            IinSignal::BadCenturyDigit => "seventh digit does not encode a century and sex (1-6)",
            IinSignal::LooksLikeBin => "number is structured like a BIN (legal entity)",
        })
    }
}

/// A 12-digit IIN whose check digit is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iin {
    /// ASCII digits.
    digits: [u8; 12],
}

impl Iin {
    /// Parses an IIN. Surrounding whitespace is ignored.
    ///
    /// Fails only when the input is not 12 ASCII digits or the check digit
    /// is wrong / cannot exist; date and sex are checked by [`Iin::signals`].
    pub fn parse(s: &str) -> Result<Iin, IdError> {
        let digits = parse_12_digits(s)?;
        verify_check_digit(&digits)?;
        Ok(Iin { digits })
    }

    fn century(&self) -> Option<i32> {
        match digit(&self.digits, 6) {
            1 | 2 => Some(1800),
            3 | 4 => Some(1900),
            5 | 6 => Some(2000),
            _ => None,
        }
    }

    /// Birth date `(year, month, day)` when the date and century digits form
    /// a real calendar date.
    pub fn birth_date(&self) -> Option<(i32, u32, u32)> {
        let year = self.century()? + two_digits(&self.digits, 0) as i32;
        let month = two_digits(&self.digits, 2);
        let day = two_digits(&self.digits, 4);
        (day >= 1 && day <= days_in_month(year, month)).then_some((year, month, day))
    }

    /// Sex from the 7th digit, when it is `1..=6`.
    pub fn sex(&self) -> Option<Sex> {
        match digit(&self.digits, 6) {
            1 | 3 | 5 => Some(Sex::Male),
            2 | 4 | 6 => Some(Sex::Female),
            _ => None,
        }
    }

    /// Consistency signals, in a fixed order; empty for a well-formed IIN.
    pub fn signals(&self) -> Vec<IinSignal> {
        let mut out = Vec::new();
        let date_ok = if self.century().is_some() {
            self.birth_date().is_some()
        } else {
            // Without a century only judge what is impossible in every
            // century; a year divisible by 4 is a leap year in one of them.
            let yy = two_digits(&self.digits, 0) as i32;
            let month = two_digits(&self.digits, 2);
            let day = two_digits(&self.digits, 4);
            day >= 1 && day <= days_in_month(2000 + yy, month)
        };
        if !date_ok {
            out.push(IinSignal::BadDate);
        }
        if self.century().is_none() {
            out.push(IinSignal::BadCenturyDigit);
        }
        if check_bin_structure(&self.digits).is_ok() {
            out.push(IinSignal::LooksLikeBin);
        }
        out
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.digits)
    }
}

impl fmt::Display for Iin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Iin {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Iin::parse(s)
    }
}

/// Entity type from a BIN's 5th digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityType {
    /// 4: resident legal entity.
    Resident,
    /// 5: non-resident legal entity.
    NonResident,
    /// 6: sole proprietor in a joint business.
    SoleProprietorJoint,
}

/// Office type from a BIN's 6th digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfficeType {
    /// 0: head office.
    HeadOffice,
    /// 1: branch.
    Branch,
    /// 2: representative office.
    Representative,
    /// 3: peasant or farm enterprise.
    Farm,
}

/// Structural BIN checks (everything except the check digit).
fn check_bin_structure(ascii: &[u8; 12]) -> Result<(), IdError> {
    let month = two_digits(ascii, 2);
    if !(1..=12).contains(&month) {
        return Err(IdError::Month(month));
    }
    let kind = digit(ascii, 4);
    if !(4..=6).contains(&kind) {
        return Err(IdError::TypeDigit(kind));
    }
    let office = digit(ascii, 5);
    if office > 3 {
        return Err(IdError::OfficeDigit(office));
    }
    Ok(())
}

/// A valid BIN: check digit correct, month `01..=12`, 5th digit `4..=6`,
/// 6th digit `0..=3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bin {
    /// ASCII digits.
    digits: [u8; 12],
}

impl Bin {
    /// Parses a BIN. Surrounding whitespace is ignored.
    ///
    /// Structure is checked before the check digit so that a mistyped
    /// month or type digit is reported as such rather than as a check-digit
    /// mismatch.
    pub fn parse(s: &str) -> Result<Bin, IdError> {
        let digits = parse_12_digits(s)?;
        check_bin_structure(&digits)?;
        verify_check_digit(&digits)?;
        Ok(Bin { digits })
    }

    /// Registration `(year, month)`. The BIN carries only `YY`, so
    /// `YY >= 70` is read as 19YY and anything lower as 20YY.
    pub fn registered(&self) -> (i32, u32) {
        let yy = two_digits(&self.digits, 0) as i32;
        let year = if yy >= 70 { 1900 + yy } else { 2000 + yy };
        (year, two_digits(&self.digits, 2))
    }

    /// Entity type from the 5th digit.
    pub fn entity_type(&self) -> EntityType {
        match digit(&self.digits, 4) {
            4 => EntityType::Resident,
            5 => EntityType::NonResident,
            _ => EntityType::SoleProprietorJoint,
        }
    }

    /// Office type from the 6th digit.
    pub fn office(&self) -> OfficeType {
        match digit(&self.digits, 5) {
            0 => OfficeType::HeadOffice,
            1 => OfficeType::Branch,
            2 => OfficeType::Representative,
            _ => OfficeType::Farm,
        }
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.digits)
    }
}

impl fmt::Display for Bin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Bin {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bin::parse(s)
    }
}

/// A party's 12-digit tax number, classified by its 5th digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaxId {
    /// A person (5th digit 0–3).
    Iin(Iin),
    /// A legal entity (5th digit 4–6).
    Bin(Bin),
    /// Neither; the reason.
    Invalid(IdError),
}

/// Classify any 12-digit tax number given for a party: person (IIN) or
/// legal entity (BIN) by the 5th digit.
///
/// A 5th digit of 7–9 fits neither and yields
/// `Invalid(IdError::TypeDigit(_))`.
pub fn classify(s: &str) -> TaxId {
    let digits = match parse_12_digits(s) {
        Ok(d) => d,
        Err(e) => return TaxId::Invalid(e),
    };
    let result = match digit(&digits, 4) {
        0..=3 => verify_check_digit(&digits).map(|()| TaxId::Iin(Iin { digits })),
        4..=6 => check_bin_structure(&digits)
            .and_then(|()| verify_check_digit(&digits))
            .map(|()| TaxId::Bin(Bin { digits })),
        d => Err(IdError::TypeDigit(d)),
    };
    result.unwrap_or_else(TaxId::Invalid)
}

/// Length of a Kazakhstan IBAN.
const IBAN_LEN: usize = 20;

/// A valid Kazakhstan IBAN, stored upper-case without spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iban {
    /// Upper-case ASCII alphanumerics.
    chars: [u8; IBAN_LEN],
}

impl Iban {
    /// Parses a KZ IBAN. Surrounding whitespace and inner spaces (the printed
    /// `KZ86 125K ZT50 0410 0100` form) are ignored and lower-case letters
    /// are accepted as upper-case.
    ///
    /// A foreign IBAN is reported as [`IdError::Country`] before its length
    /// is checked, since that is the more useful explanation.
    pub fn parse(s: &str) -> Result<Iban, IdError> {
        let mut chars = [0u8; IBAN_LEN];
        let mut n = 0usize;
        for c in s.trim().chars().filter(|&c| c != ' ') {
            if !c.is_ascii_alphanumeric() {
                return Err(IdError::BadChar(c));
            }
            if let Some(slot) = chars.get_mut(n) {
                *slot = c.to_ascii_uppercase() as u8;
            }
            n += 1;
        }
        if n >= 2 && &chars[..2] != b"KZ" {
            return Err(IdError::Country(ascii_str(&chars[..2]).to_owned()));
        }
        if n != IBAN_LEN {
            return Err(IdError::Length {
                expected: IBAN_LEN,
                found: n,
            });
        }
        // Check digits and bank code are numeric in the KZ format.
        if let Some(&b) = chars[2..7].iter().find(|b| !b.is_ascii_digit()) {
            return Err(IdError::BadChar(char::from(b)));
        }
        if mod97(&chars) != 1 {
            return Err(IdError::Mod97);
        }
        Ok(Iban { chars })
    }

    /// The 3-digit bank code (e.g. `601` for Halyk Bank).
    pub fn bank_code(&self) -> &str {
        ascii_str(&self.chars[4..7])
    }

    /// The IBAN, upper-case, without spaces.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.chars)
    }
}

/// ISO 7064 mod 97-10 over the rearranged IBAN (first four characters moved
/// to the end, letters as 10..=35), computed incrementally to avoid bignums.
fn mod97(chars: &[u8; IBAN_LEN]) -> u32 {
    chars[4..]
        .iter()
        .chain(&chars[..4])
        .fold(0u32, |r, &b| match b {
            b'0'..=b'9' => (r * 10 + u32::from(b - b'0')) % 97,
            _ => (r * 100 + u32::from(b.wrapping_sub(b'A')) + 10) % 97,
        })
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Iban {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Iban::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID_IINS: [&str; 6] = [
        "871008401427",
        "760212350620",
        "800416300257",
        "680503450037",
        "791028302728",
        "061211600012",
    ];
    const VALID_BINS: [&str; 8] = [
        "940140000385",
        "950341000052",
        "070941024691",
        "961141000023",
        "990140004654",
        "011140001654",
        "960240007379",
        "021140001873",
    ];

    fn values(s: &str) -> [u8; 11] {
        let mut out = [0u8; 11];
        for (o, b) in out.iter_mut().zip(s.bytes()) {
            *o = b - b'0';
        }
        out
    }

    /// Appends the check digit to an 11-digit prefix.
    fn with_check(prefix: &str) -> String {
        let c = check_digit(&values(prefix)).expect("prefix must be issuable");
        format!("{prefix}{c}")
    }

    fn first_pass(d: &[u8; 11]) -> u32 {
        d.iter()
            .enumerate()
            .map(|(i, &x)| u32::from(x) * (i as u32 + 1))
            .sum::<u32>()
            % 11
    }

    #[test]
    fn valid_iins_parse() {
        for s in VALID_IINS {
            let iin = Iin::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(iin.as_str(), s);
            assert_eq!(iin.to_string(), s);
            assert!(iin.signals().is_empty(), "{s}: {:?}", iin.signals());
            assert_eq!(classify(s), TaxId::Iin(iin));
        }
    }

    #[test]
    fn second_pass_is_needed_for_061211600012() {
        let d = values("06121160001");
        assert_eq!(first_pass(&d), 10);
        assert_eq!(check_digit(&d), Some(2));
        assert!(Iin::parse("061211600012").is_ok());
    }

    #[test]
    fn never_issued_821214240092() {
        let d = values("82121424009");
        assert_eq!(first_pass(&d), 10);
        assert_eq!(check_digit(&d), None);
        assert_eq!(Iin::parse("821214240092"), Err(IdError::NeverIssued));
        assert_eq!(
            classify("821214240092"),
            TaxId::Invalid(IdError::NeverIssued)
        );
    }

    #[test]
    fn wrong_check_digit_reports_both() {
        let err = Iin::parse("871008401423").unwrap_err();
        assert_eq!(
            err,
            IdError::CheckDigit {
                expected: Some(7),
                found: 3
            }
        );
        assert_eq!(err.to_string(), "check digit is 3, expected 7");
    }

    #[test]
    fn iin_birth_date_and_sex() {
        let iin = Iin::parse("871008401427").unwrap();
        // 7th digit 4: 1900s, even -> female.
        assert_eq!(iin.birth_date(), Some((1987, 10, 8)));
        assert_eq!(iin.sex(), Some(Sex::Female));

        let cases = [
            ("760212350620", (1976, 2, 12), Sex::Male),
            ("800416300257", (1980, 4, 16), Sex::Male),
            ("680503450037", (1968, 5, 3), Sex::Female),
            ("791028302728", (1979, 10, 28), Sex::Male),
            ("061211600012", (2006, 12, 11), Sex::Female),
        ];
        for (s, date, sex) in cases {
            let iin = Iin::parse(s).unwrap();
            assert_eq!(iin.birth_date(), Some(date), "{s}");
            assert_eq!(iin.sex(), Some(sex), "{s}");
        }
    }

    #[test]
    fn all_century_digits() {
        for (c, year, sex) in [
            (1, 1887, Sex::Male),
            (2, 1887, Sex::Female),
            (3, 1987, Sex::Male),
            (4, 1987, Sex::Female),
            (5, 2087, Sex::Male),
            (6, 2087, Sex::Female),
        ] {
            let Some(s) = (0..10)
                .map(|serial| format!("871008{c}0{serial}42"))
                .find(|p| check_digit(&values(p)).is_some())
                .map(|p| with_check(&p))
            else {
                panic!("no issuable serial")
            };
            let iin = Iin::parse(&s).unwrap();
            assert_eq!(iin.birth_date(), Some((year, 10, 8)));
            assert_eq!(iin.sex(), Some(sex));
            assert!(iin.signals().is_empty());
        }
    }

    #[test]
    fn impossible_date_is_signal_not_error() {
        let s = with_check("87130840142");
        let iin = Iin::parse(&s).expect("still a valid IIN");
        assert_eq!(iin.birth_date(), None);
        assert_eq!(iin.sex(), Some(Sex::Female));
        assert_eq!(iin.signals(), vec![IinSignal::BadDate]);
        assert_eq!(classify(&s), TaxId::Iin(iin));
    }

    #[test]
    fn leap_years() {
        // 2000 is a leap year, 1900 and 1800 are not.
        let iin = Iin::parse(&with_check("00022950001")).unwrap();
        assert_eq!(iin.birth_date(), Some((2000, 2, 29)));
        for prefix in ["00022930001", "00022910001"] {
            let iin = Iin::parse(&with_check(prefix)).unwrap();
            assert_eq!(iin.birth_date(), None);
            assert_eq!(iin.signals(), vec![IinSignal::BadDate]);
        }
        let iin = Iin::parse(&with_check("96022930000")).unwrap();
        assert_eq!(iin.birth_date(), Some((1996, 2, 29)));
        let iin = Iin::parse(&with_check("97022930000")).unwrap();
        assert_eq!(iin.birth_date(), None);
        let iin = Iin::parse(&with_check("97043130000")).unwrap();
        assert_eq!(iin.birth_date(), None);
        let iin = Iin::parse(&with_check("97040030000")).unwrap();
        assert_eq!(iin.birth_date(), None);
    }

    #[test]
    fn bad_century_digit() {
        let iin = Iin::parse(&with_check("87100870142")).unwrap();
        assert_eq!(iin.birth_date(), None);
        assert_eq!(iin.sex(), None);
        assert_eq!(iin.signals(), vec![IinSignal::BadCenturyDigit]);

        let iin = Iin::parse(&with_check("87130800142")).unwrap();
        assert_eq!(
            iin.signals(),
            vec![IinSignal::BadDate, IinSignal::BadCenturyDigit]
        );
    }

    #[test]
    fn bin_as_iin_looks_like_bin() {
        let iin = Iin::parse("940140000385").unwrap();
        assert!(iin.signals().contains(&IinSignal::LooksLikeBin));
        assert!(iin.signals().contains(&IinSignal::BadDate));
    }

    #[test]
    fn valid_bins_parse() {
        for s in VALID_BINS {
            let bin = Bin::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(bin.as_str(), s);
            assert_eq!(classify(s), TaxId::Bin(bin));
        }
    }

    #[test]
    fn bin_fields() {
        let bin = Bin::parse("940140000385").unwrap();
        assert_eq!(bin.registered(), (1994, 1));
        assert_eq!(bin.entity_type(), EntityType::Resident);
        assert_eq!(bin.office(), OfficeType::HeadOffice);

        let bin = Bin::parse("070941024691").unwrap();
        assert_eq!(bin.registered(), (2007, 9));
        assert_eq!(bin.office(), OfficeType::Branch);

        let bin = Bin::parse("011140001654").unwrap();
        assert_eq!(bin.registered(), (2001, 11));

        let bin = Bin::parse(&with_check("12035200001")).unwrap();
        assert_eq!(bin.entity_type(), EntityType::NonResident);
        assert_eq!(bin.office(), OfficeType::Representative);
        let bin = Bin::parse(&with_check("12036300001")).unwrap();
        assert_eq!(bin.entity_type(), EntityType::SoleProprietorJoint);
        assert_eq!(bin.office(), OfficeType::Farm);
    }

    #[test]
    fn invalid_bins() {
        assert_eq!(Bin::parse("949940000385"), Err(IdError::Month(99)));
        assert_eq!(Bin::parse("940190000385"), Err(IdError::TypeDigit(9)));
        assert_eq!(Bin::parse("940149000385"), Err(IdError::OfficeDigit(9)));
        assert_eq!(Bin::parse("940040000385"), Err(IdError::Month(0)));
        assert_eq!(
            Bin::parse("940140000386"),
            Err(IdError::CheckDigit {
                expected: Some(5),
                found: 6
            })
        );
        // An IIN is not a BIN.
        assert_eq!(Bin::parse("871008401427"), Err(IdError::TypeDigit(0)));
        assert_eq!(classify("949940000385"), TaxId::Invalid(IdError::Month(99)));
        assert_eq!(
            classify("940149000385"),
            TaxId::Invalid(IdError::OfficeDigit(9))
        );
        // 5th digit 7-9: neither IIN nor BIN.
        assert_eq!(
            classify("940190000385"),
            TaxId::Invalid(IdError::TypeDigit(9))
        );
    }

    #[test]
    fn malformed_input_never_panics() {
        for s in [
            "",
            " ",
            "1",
            "87100840142",
            "8710084014270",
            "87100840142x",
            "８７１００８４０１４２７",
            "87100840142é",
            "ééééééééééé",
            "\u{0}",
            "KZ86125KZT5004100100",
            "💥💥💥💥💥💥💥💥💥💥💥💥",
        ] {
            let _ = Iin::parse(s);
            let _ = Bin::parse(s);
            let _ = Iban::parse(s);
            let _ = classify(s);
        }
        assert_eq!(
            Iin::parse(""),
            Err(IdError::Length {
                expected: 12,
                found: 0
            })
        );
        assert_eq!(Iin::parse("87100840142x"), Err(IdError::NotDigits));
        // Twelve bytes but eleven characters.
        assert_eq!(
            Iin::parse("8710084014é"),
            Err(IdError::Length {
                expected: 12,
                found: 11
            })
        );
        // Twelve characters but not ASCII digits.
        assert_eq!(Iin::parse("8710084014é7"), Err(IdError::NotDigits));
        assert_eq!(
            Iin::parse("８７１００８４０１４２７"),
            Err(IdError::NotDigits)
        );
        assert_eq!(
            Bin::parse("94014000038"),
            Err(IdError::Length {
                expected: 12,
                found: 11
            })
        );
        assert_eq!(
            Iin::parse(" 871008401427\n").map(|i| i.to_string()),
            Ok("871008401427".to_owned())
        );
        assert_eq!(check_digit(&[255; 11]), check_digit(&[255; 11]));
    }

    #[test]
    fn check_digit_property_lcg() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut never_issued = 0;
        for _ in 0..10_000 {
            let mut prefix = [0u8; 11];
            for d in &mut prefix {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                *d = ((state >> 33) % 10) as u8;
            }
            let mut s = String::with_capacity(12);
            s.extend(prefix.iter().map(|&d| char::from(b'0' + d)));
            s.push('0');
            let expected = check_digit(&prefix);
            if expected.is_none() {
                never_issued += 1;
            }
            for last in 0..10u8 {
                s.pop();
                s.push(char::from(b'0' + last));
                let got = Iin::parse(&s);
                match expected {
                    Some(c) if c == last => assert!(got.is_ok(), "{s}"),
                    Some(c) => assert_eq!(
                        got,
                        Err(IdError::CheckDigit {
                            expected: Some(c),
                            found: last
                        }),
                        "{s}"
                    ),
                    None => assert_eq!(got, Err(IdError::NeverIssued), "{s}"),
                }
            }
        }
        // About 1 in 121 prefixes can never be issued.
        assert!((20..200).contains(&never_issued), "{never_issued}");
    }

    #[test]
    fn valid_ibans() {
        let iban = Iban::parse("KZ86125KZT5004100100").unwrap();
        assert_eq!(iban.as_str(), "KZ86125KZT5004100100");
        assert_eq!(iban.bank_code(), "125");
        let iban = Iban::parse("KZ476010131000179714").unwrap();
        assert_eq!(iban.bank_code(), "601");
    }

    #[test]
    fn iban_printed_and_lowercase_forms() {
        let plain = Iban::parse("KZ86125KZT5004100100").unwrap();
        assert_eq!(Iban::parse("KZ86 125K ZT50 0410 0100"), Ok(plain));
        assert_eq!(Iban::parse("  kz86125kzt5004100100\t"), Ok(plain));
        assert_eq!(Iban::parse("kz86 125k zt50 0410 0100"), Ok(plain));
    }

    #[test]
    fn iban_one_char_change_fails_mod97() {
        assert_eq!(Iban::parse("KZ86125KZT5004100101"), Err(IdError::Mod97));
        assert_eq!(Iban::parse("KZ476010131000179715"), Err(IdError::Mod97));
        assert_eq!(Iban::parse("KZ87125KZT5004100100"), Err(IdError::Mod97));
        assert_eq!(Iban::parse("KZ86125KZU5004100100"), Err(IdError::Mod97));
    }

    #[test]
    fn iban_wrong_length() {
        assert_eq!(
            Iban::parse("KZ86125KZT500410010"),
            Err(IdError::Length {
                expected: 20,
                found: 19
            })
        );
        assert_eq!(
            Iban::parse("KZ86125KZT50041001000"),
            Err(IdError::Length {
                expected: 20,
                found: 21
            })
        );
        assert_eq!(
            Iban::parse(""),
            Err(IdError::Length {
                expected: 20,
                found: 0
            })
        );
    }

    #[test]
    fn iban_wrong_country() {
        assert_eq!(
            Iban::parse("RU86125KZT5004100100"),
            Err(IdError::Country("RU".to_owned()))
        );
        assert_eq!(
            Iban::parse("DE89 3704 0044 0532 0130 00"),
            Err(IdError::Country("DE".to_owned()))
        );
    }

    #[test]
    fn iban_bad_chars() {
        assert_eq!(
            Iban::parse("KZ86-125K-ZT50-0410-0100"),
            Err(IdError::BadChar('-'))
        );
        assert_eq!(
            Iban::parse("KZ86125KZT50041001é0"),
            Err(IdError::BadChar('é'))
        );
        assert_eq!(
            Iban::parse("KZ8612AKZT5004100100"),
            Err(IdError::BadChar('A'))
        );
    }

    #[test]
    fn error_messages_are_readable() {
        assert_eq!(
            IdError::CheckDigit {
                expected: None,
                found: 1
            }
            .to_string(),
            "check digit is 1, expected none (never issued)"
        );
        assert_eq!(
            IdError::Month(0).to_string(),
            "registration month is 00, expected 01-12"
        );
        assert!(IdError::Country("RU".into()).to_string().contains("\"RU\""));
        assert_eq!(
            IdError::Length {
                expected: 12,
                found: 3
            }
            .to_string(),
            "has 3 characters, expected 12"
        );
    }
}
