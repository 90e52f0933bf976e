//! Everything maskwatch reads from outside that is not a photo: the job
//! messages on the work queue, the bodies of API requests and the query
//! strings of reports. Each decoder refuses what is oversized, malformed or
//! unknown with a reason a caller can act on, and never panics; a fuzz
//! target (`fuzz/`) holds them to that.

mod job;
mod query;
mod report_filters;
mod requests;

pub use job::{ImageJob, MAX_MESSAGE_BYTES, MessageError};
pub use query::{BadParameter, MAX_QUERY_BYTES, QueryParams};
pub use report_filters::{FilterParams, MAX_TIME_ZONE_CHARS};
pub use requests::{AuditRequest, ImageRequest};
