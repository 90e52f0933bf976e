//! The message that asks a worker to audit one image.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

/// Job messages are a few hundred bytes; anything far larger is refused
/// unread rather than parsed.
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024;

/// Why a message body is not a job.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MessageError {
    #[error("message of {size} bytes is over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed job message: {0}")]
    Malformed(String),
}

/// One image to audit. The image row in PostgreSQL is the source of truth;
/// the bucket and key travel along so the worker can fetch without a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageJob {
    pub image_id: Uuid,
    pub bucket: String,
    pub key: String,
}

impl ImageJob {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a job always serialises")
    }

    /// Parses a message body, refusing oversized and malformed ones.
    pub fn from_bytes(body: &[u8]) -> Result<Self, MessageError> {
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(MessageError::TooLarge {
                size: body.len(),
                limit: MAX_MESSAGE_BYTES,
            });
        }
        let job: ImageJob =
            serde_json::from_slice(body).map_err(|e| MessageError::Malformed(e.to_string()))?;
        if job.bucket.is_empty() || job.key.is_empty() {
            return Err(MessageError::Malformed("empty bucket or key".into()));
        }
        Ok(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_bad_bodies() {
        let job = ImageJob {
            image_id: Uuid::new_v4(),
            bucket: "photos".into(),
            key: "site-a/cam 1/ü.jpg".into(),
        };
        assert_eq!(ImageJob::from_bytes(&job.to_bytes()).unwrap(), job);
        assert!(matches!(
            ImageJob::from_bytes(b"{\"image_id\": 3}"),
            Err(MessageError::Malformed(_))
        ));
        assert!(matches!(
            ImageJob::from_bytes(&[0xff, 0xfe]),
            Err(MessageError::Malformed(_))
        ));
        let huge = vec![b' '; MAX_MESSAGE_BYTES + 1];
        assert!(matches!(
            ImageJob::from_bytes(&huge),
            Err(MessageError::TooLarge { .. })
        ));
        let extra =
            br#"{"image_id":"7d9f4b3e-6a35-4a63-9d2b-8f6f7c1d2e3f","bucket":"b","key":"k","x":1}"#;
        assert!(ImageJob::from_bytes(extra).is_err());
    }
}
