//! How a process that runs the models is told where they are and where to run
//! them: one set of flags and environment variables for the command line and
//! the worker service alike.

mod lanes;
mod options;

pub use lanes::Lanes;
pub use options::{Device, EngineOptions, LaneOptions, PrecisionChoice};
