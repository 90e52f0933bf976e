//! What every maskwatch service process shares: structured logs, the shutdown
//! signal, the health/readiness/metrics endpoints and the retry schedule.

pub mod backoff;
pub mod logging;
pub mod ops;
pub mod options;
pub mod shutdown;

pub use backoff::Backoff;
pub use ops::{Readiness, ops_router, serve_ops};
pub use options::ServiceOptions;
