//! What every maskwatch service process shares: structured logs, the shutdown
//! signal, bearer-token access, the health/readiness/metrics endpoints and
//! the retry schedule.

pub mod api_error;
pub mod auth;
pub mod backoff;
pub mod logging;
pub mod ops;
pub mod options;
pub mod shutdown;

pub use api_error::ApiError;
pub use auth::{AuthOptions, RequireScope, Scope, Tokens, require_scope};
pub use backoff::Backoff;
pub use ops::{Readiness, ops_router, serve_ops};
pub use options::ServiceOptions;
