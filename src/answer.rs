//! The engine's answer types under their earlier path, for code written
//! against `crate::answer` before the engine became [`crate::engine`].
//! New code uses `crate::engine`.

pub use crate::engine::{Answer, Engine, Kind, Note, Source, SourceKind, StationHit, Suggestion};
