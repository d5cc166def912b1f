use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("Delta table {table}: {source}")]
    Delta {
        table: String,
        #[source]
        source: deltalake::DeltaTableError,
    },
    #[error("{context}: {source}")]
    DataFusion {
        context: String,
        #[source]
        source: datafusion::error::DataFusionError,
    },
    #[error("table {table} does not match its spec: {detail}")]
    SpecMismatch { table: String, detail: String },
    #[error("no codelake database at {0} (run `codelake build` first, or pass --db)")]
    NoDatabase(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Scan(#[from] codelake_extract::scan::ScanError),
    #[error(transparent)]
    Extract(#[from] codelake_extract::ExtractError),
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

pub(crate) trait DfContext<T> {
    fn df_context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> DfContext<T> for std::result::Result<T, datafusion::error::DataFusionError> {
    fn df_context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| EngineError::DataFusion {
            context: context(),
            source,
        })
    }
}

pub(crate) trait DeltaContext<T> {
    fn delta_context(self, table: &str) -> Result<T>;
}

impl<T> DeltaContext<T> for std::result::Result<T, deltalake::DeltaTableError> {
    fn delta_context(self, table: &str) -> Result<T> {
        self.map_err(|source| EngineError::Delta {
            table: table.to_string(),
            source,
        })
    }
}
