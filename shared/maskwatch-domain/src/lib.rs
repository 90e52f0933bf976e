//! Domain types shared by every maskwatch component.
//!
//! Nothing here knows about images, models or storage: these are the values
//! that flow between the pipeline, the command line and the services, and
//! the shapes that results are serialised in.

mod condition;
mod finding;
mod geometry;
mod probabilities;

pub use condition::{Condition, UnknownCondition};
pub use finding::FaceFinding;
pub use geometry::{BoundingBox, Landmarks};
pub use probabilities::ClassProbabilities;
