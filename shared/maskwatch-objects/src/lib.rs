//! Reading photos from S3, and only from the buckets a deployment names.

mod config;
mod error;
mod store;

pub use config::ObjectStoreOptions;
pub use error::ObjectError;
pub use store::{ListedObject, ObjectPage, ObjectStore};
