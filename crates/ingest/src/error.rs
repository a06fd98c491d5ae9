use std::path::PathBuf;

/// Why a dataset (or one of its tables) could not be read at all. Row-level problems are not
/// errors: they become [`crate::Reject`]s and the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("dataset folder {0} does not exist or is not a folder")]
    NotAFolder(PathBuf),
    #[error("dataset folder {0} has no transactions table (expected transactions.csv, .jsonl or .parquet, an AMLworld *_Trans.csv or an AMLSim transactions.csv)")]
    NoTransactions(PathBuf),
    #[error("table {table} ({file}): missing required column '{column}'")]
    MissingColumn {
        table: String,
        file: String,
        column: String,
    },
    #[error("table {table} is given by more than one file: {files}")]
    Ambiguous { table: String, files: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    #[error("the format of {0} could not be recognised")]
    UnknownFormat(PathBuf),
}

impl IngestError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IngestError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        IngestError::Format {
            path: path.into(),
            message: message.into(),
        }
    }
}
