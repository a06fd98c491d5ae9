//! Mapping a file's header onto a table's known columns, and the cell parsers every table shares.

use crate::error::IngestError;
use crate::reject::RowError;
use finmon_model::time::TimeError;
use finmon_model::{Date, Decimal, Timestamp};

/// Where each known column sits in a file, and which columns are unknown (kept as attributes).
#[derive(Debug, Clone)]
pub struct ColumnMap {
    known: Vec<Option<usize>>,
    pub attrs: Vec<(usize, String)>,
}

impl ColumnMap {
    /// `known` lists the table's columns in a fixed order (a sink indexes them by constant);
    /// `required` must all be present.
    pub fn new(
        table: &str,
        file: &str,
        names: &[String],
        known: &[&str],
        required: &[&str],
    ) -> Result<ColumnMap, IngestError> {
        let mut map = ColumnMap {
            known: vec![None; known.len()],
            attrs: Vec::new(),
        };
        for (i, name) in names.iter().enumerate() {
            match known.iter().position(|k| k == name) {
                Some(k) if map.known[k].is_some() => {
                    return Err(IngestError::format(
                        file,
                        format!("table {table}: column '{name}' appears twice"),
                    ))
                }
                Some(k) => map.known[k] = Some(i),
                None => map.attrs.push((i, name.clone())),
            }
        }
        for r in required {
            let k = known.iter().position(|k| k == r).expect("required ⊆ known");
            if map.known[k].is_none() {
                return Err(IngestError::MissingColumn {
                    table: table.to_string(),
                    file: file.to_string(),
                    column: r.to_string(),
                });
            }
        }
        Ok(map)
    }

    /// The cell of known column `k` (`None` when empty or when the file lacks the column).
    #[inline]
    pub fn get<'a>(&self, fields: &[Option<&'a str>], k: usize) -> Option<&'a str> {
        self.known[k].and_then(|i| fields[i])
    }

    pub fn has(&self, k: usize) -> bool {
        self.known[k].is_some()
    }

    /// The non-empty unknown cells of a row, as owned attributes.
    pub fn attrs_of(&self, fields: &[Option<&str>]) -> Vec<(Box<str>, Box<str>)> {
        self.attrs
            .iter()
            .filter_map(|(i, n)| fields[*i].map(|v| (n.as_str().into(), v.into())))
            .collect()
    }
}

/// A required cell: its text, or the error naming the column.
pub fn required<'a>(v: Option<&'a str>, column: &'static str) -> Result<&'a str, RowError> {
    v.ok_or_else(|| RowError::new(column, format!("{column} is empty")))
}

pub fn token<T>(
    v: &str,
    column: &'static str,
    parse: fn(&str) -> Option<T>,
    expected: fn() -> String,
) -> Result<T, RowError> {
    parse(v).ok_or_else(|| {
        RowError::new(
            column,
            format!("unknown {column} '{v}' (expected one of: {})", expected()),
        )
    })
}

pub fn opt_token<T>(
    v: Option<&str>,
    column: &'static str,
    parse: fn(&str) -> Option<T>,
    expected: fn() -> String,
) -> Result<Option<T>, RowError> {
    v.map(|v| token(v, column, parse, expected)).transpose()
}

pub fn date(v: Option<&str>, column: &'static str) -> Result<Option<Date>, RowError> {
    v.map(|s| Date::parse(s).map_err(|e| time_error(e, column)))
        .transpose()
}

pub fn timestamp(v: &str, column: &'static str) -> Result<(Timestamp, Date), RowError> {
    Timestamp::parse_rfc3339(v).map_err(|e| time_error(e, column))
}

/// A date (kept to the end of that day) or a timestamp.
pub fn date_or_timestamp(
    v: Option<&str>,
    column: &'static str,
) -> Result<Option<Timestamp>, RowError> {
    let Some(s) = v else { return Ok(None) };
    if s.len() == 10 {
        let d = Date::parse(s).map_err(|e| time_error(e, column))?;
        return Ok(Some(Timestamp(Date(d.0 + 1).start().0 - 1)));
    }
    timestamp(s, column).map(|(t, _)| Some(t))
}

fn time_error(e: TimeError, column: &'static str) -> RowError {
    let kind = match e {
        TimeError::OutOfRange(_) => "out-of-range",
        _ => "unparsable",
    };
    RowError::new(column, format!("{kind} {column}: {e}"))
}

/// A strictly positive exact decimal.
pub fn positive_decimal(v: &str, column: &'static str) -> Result<Decimal, RowError> {
    let d = finmon_model::money::parse_decimal(v)
        .map_err(|e| RowError::new(column, format!("unparsable {column}: {e}")))?;
    if d <= Decimal::ZERO {
        return Err(RowError::new(
            column,
            format!("{column} must be positive, got {v}"),
        ));
    }
    Ok(d)
}

pub fn boolean(v: Option<&str>, column: &'static str) -> Result<Option<bool>, RowError> {
    match v {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(o) => Err(RowError::new(
            column,
            format!("{column} must be true or false, got '{o}'"),
        )),
    }
}

/// ISO 3166-1 alpha-2 shape: two upper-case letters.
pub fn country(v: Option<&str>, column: &'static str) -> Result<Option<String>, RowError> {
    match v {
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) => Ok(Some(c.into())),
        Some(c) => Err(RowError::new(
            column,
            format!("{column} must be an ISO 3166-1 alpha-2 code like KZ, got '{c}'"),
        )),
        None => Ok(None),
    }
}

pub fn owned(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}
