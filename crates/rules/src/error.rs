//! Typed errors: a rule file refused at load ([`LoadError`], with file, line and column), a
//! transaction refused before any rule runs ([`InputError`]), a state snapshot that cannot be
//! read ([`SnapshotError`]).

use finmon_model::Date;
use std::fmt;

/// One thing wrong in a rule file, where it is: `file:line:column: message`. Lines and columns
/// are 1-based; columns count characters, not bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// A rule file that was refused. Nothing of it is used: a `RuleSet` already loaded (and any
/// engine running it) is unaffected.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: cannot read the rule file: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Every mistake found, in file order (at least one).
    #[error("{}", Diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
}

impl LoadError {
    /// The mistakes found (empty for an I/O error).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            LoadError::Invalid(d) => d,
            LoadError::Io { .. } => &[],
        }
    }
}

struct Diagnostics<'a>(&'a [Diagnostic]);

impl fmt::Display for Diagnostics<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// A transaction that cannot be decided on: it fails the checks ingest makes on a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// A field is missing or malformed.
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    #[error("neither from_account nor to_account is given")]
    NoAccount,
    /// The amount cannot be valued in tenge: no `amount_kzt` and no rate. Never valued as zero.
    #[error("no KZT rate for {currency} on or before {date}: give amount_kzt or load a rates row")]
    NoRate { currency: String, date: Date },
}

impl InputError {
    pub(crate) fn field(field: &'static str, message: impl Into<String>) -> InputError {
        InputError::Field {
            field,
            message: message.into(),
        }
    }
}

/// A window-state snapshot that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a finmon window snapshot (bad magic bytes)")]
    Magic,
    #[error("snapshot format version {0} is not supported (this build reads version 1)")]
    Version(u32),
    #[error("snapshot is truncated or corrupt: {0}")]
    Corrupt(&'static str),
    #[error("snapshot JSON: {0}")]
    Json(String),
}
