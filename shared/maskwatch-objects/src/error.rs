use thiserror::Error;

#[derive(Debug, Error)]
pub enum ObjectError {
    #[error("bucket {0:?} is not one this deployment may read")]
    BucketNotAllowed(String),
    #[error("no object s3://{bucket}/{key}")]
    NotFound { bucket: String, key: String },
    #[error("object is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("S3 refused the request: {0}")]
    Refused(String),
    /// Network errors, timeouts, throttling and server errors: worth retrying.
    #[error("S3 unavailable: {0}")]
    Unavailable(String),
}

impl ObjectError {
    /// Whether the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        matches!(self, ObjectError::Unavailable(_))
    }
}
