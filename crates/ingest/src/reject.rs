//! Quarantine: every row finmon could not take, with where it was and why.

/// One quarantined row (or, with line 1 and no raw text, a whole table refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub table: String,
    pub file: String,
    /// 1-based line of the file (the header is line 1); for Parquet, the row number + 1.
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
    /// The row as it was read (lossy UTF-8 where the bytes were not UTF-8).
    pub raw: String,
}

/// What a row parser says about a bad row; the reader adds table, file, line and raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub column: Option<&'static str>,
    pub reason: String,
}

impl RowError {
    pub fn new(column: &'static str, reason: impl Into<String>) -> Self {
        RowError {
            column: Some(column),
            reason: reason.into(),
        }
    }

    pub fn row(reason: impl Into<String>) -> Self {
        RowError {
            column: None,
            reason: reason.into(),
        }
    }
}

/// A row's reject before the reader knows table and file.
#[derive(Debug, Clone)]
pub struct LineReject {
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
    pub raw: String,
}

impl LineReject {
    pub fn into_reject(self, table: &str, file: &str) -> Reject {
        Reject {
            table: table.to_string(),
            file: file.to_string(),
            line: self.line,
            column: self.column,
            reason: self.reason,
            raw: self.raw,
        }
    }
}
