//! The shared vocabulary of codelake.
//!
//! * [`span`]: canonical byte spans and the line index that derives line/column from them;
//! * [`ids`]: stable 64-bit ids hashed from content, so the same input gives identical tables;
//! * [`spec`]: the registry of table specs, the single source of truth for every table's Arrow
//!   schema, keys, sort order and description.
//!
//! This crate depends on `arrow-schema` only, so both the extraction crate (which has no
//! DataFusion dependency) and the engine crate can use it.

pub mod ids;
pub mod span;
pub mod spec;

pub use ids::StableId;
pub use span::{LineCol, LineIndex};
pub use spec::{EDGE_KINDS, Layer, SEMANTIC_NODE_KINDS, TableSpec, layer, registry, spec};
