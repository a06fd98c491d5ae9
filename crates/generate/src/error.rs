use std::path::PathBuf;

/// What can stop a generation.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("cannot write {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("invalid settings: {0}")]
    Config(String),
}
