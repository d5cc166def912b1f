//! The relational side of codelake: Delta Lake storage and the DataFusion session.
//!
//! * [`storage`] creates and opens the Delta table of every spec in the registry;
//! * [`session`] registers them as DataFusion table providers with `information_schema` on;
//! * [`info_schema`] holds every `information_schema` query: it validates the registered tables
//!   against their specs;
//! * [`build`] runs the extraction pass, whose workers encode the evidence into one Parquet
//!   file per table ([`datafile`]), then commits each table once, and runs the rules;
//! * [`export`] writes the graph in other tools' formats (the call graph as PyCG's JSON).

pub mod build;
pub mod datafile;
pub mod ddl;
pub mod diag;
pub mod error;
pub mod export;
pub mod info_schema;
pub mod manifest;
pub mod ordered;
pub mod rules;
pub mod session;
pub mod storage;
pub mod udf;

pub use build::{BuildOptions, BuildReport, build};
pub use error::{EngineError, Result};
pub use session::{new_session_context, open_session};
