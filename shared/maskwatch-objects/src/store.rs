//! The S3 client, limited to the configured buckets.

use std::collections::BTreeSet;
use std::fmt::Debug;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use crate::{ObjectError, ObjectStoreOptions};

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    /// Seconds since the Unix epoch, when the server reports it.
    pub last_modified: Option<i64>,
}

/// One page of a listing and the token for the next, if any.
#[derive(Debug, Clone, Default)]
pub struct ObjectPage {
    pub objects: Vec<ListedObject>,
    pub next: Option<String>,
}

#[derive(Clone)]
pub struct ObjectStore {
    client: Client,
    allowed: BTreeSet<String>,
    max_object_bytes: u64,
}

impl ObjectStore {
    /// A client with credentials from the standard AWS chain (environment,
    /// profile, role).
    pub async fn connect(options: &ObjectStoreOptions) -> Self {
        Self::connect_with(options, None).await
    }

    /// A client with the given static credentials, for tools and tests.
    pub async fn connect_with_credentials(
        options: &ObjectStoreOptions,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Self {
        let credentials = aws_sdk_s3::config::Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "maskwatch",
        );
        Self::connect_with(options, Some(credentials)).await
    }

    async fn connect_with(
        options: &ObjectStoreOptions,
        credentials: Option<aws_sdk_s3::config::Credentials>,
    ) -> Self {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(options.s3_region.clone()));
        if let Some(endpoint) = &options.s3_endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        if let Some(credentials) = credentials {
            loader = loader.credentials_provider(credentials);
        }
        let shared = loader.load().await;
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(options.s3_path_style)
            .build();
        Self {
            client: Client::from_conf(config),
            allowed: options.s3_buckets.iter().cloned().collect(),
            max_object_bytes: options.max_object_bytes,
        }
    }

    /// Refuses buckets outside the configured list.
    pub fn check_bucket(&self, bucket: &str) -> Result<(), ObjectError> {
        if self.allowed.contains(bucket) {
            Ok(())
        } else {
            Err(ObjectError::BucketNotAllowed(bucket.to_owned()))
        }
    }

    /// Reads a whole object, refusing one over the size limit before its body
    /// is read, and stopping a body that turns out longer than announced.
    pub async fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, ObjectError> {
        self.check_bucket(bucket)?;
        let response = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify(e, bucket, key))?;
        let announced = response.content_length().unwrap_or(0).max(0) as u64;
        self.check_size(announced)?;
        let mut body = response.body;
        let mut bytes = Vec::with_capacity(announced as usize);
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| ObjectError::Unavailable(format!("reading the body: {e}")))?
        {
            bytes.extend_from_slice(&chunk);
            self.check_size(bytes.len() as u64)?;
        }
        Ok(bytes)
    }

    /// One page of the objects under `prefix`.
    pub async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        continuation: Option<String>,
    ) -> Result<ObjectPage, ObjectError> {
        self.check_bucket(bucket)?;
        let response = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(continuation)
            .send()
            .await
            .map_err(|e| classify(e, bucket, prefix))?;
        let objects = response
            .contents()
            .iter()
            .filter_map(|object| {
                Some(ListedObject {
                    key: object.key()?.to_owned(),
                    size: object.size().unwrap_or(0).max(0) as u64,
                    last_modified: object.last_modified().map(|t| t.secs()),
                })
            })
            .collect();
        let next = response
            .is_truncated()
            .unwrap_or(false)
            .then(|| response.next_continuation_token().map(str::to_owned))
            .flatten();
        Ok(ObjectPage { objects, next })
    }

    /// Writes an object; for tools and tests that stage photos.
    pub async fn put(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), ObjectError> {
        self.put_with_content_type(bucket, key, bytes, None).await
    }

    /// Writes an object with the content type its uploader claims; the
    /// worker decides what an object is from its bytes, whatever the claim.
    pub async fn put_with_content_type(
        &self,
        bucket: &str,
        key: &str,
        bytes: Vec<u8>,
        content_type: Option<&str>,
    ) -> Result<(), ObjectError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .set_content_type(content_type.map(str::to_owned))
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| classify(e, bucket, key))?;
        Ok(())
    }

    /// Creates a bucket unless it exists.
    pub async fn create_bucket(&self, bucket: &str) -> Result<(), ObjectError> {
        match self.client.create_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(()),
            Err(error)
                if matches!(
                    error.code(),
                    Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
                ) =>
            {
                Ok(())
            }
            Err(error) => Err(classify(error, bucket, "")),
        }
    }

    fn check_size(&self, size: u64) -> Result<(), ObjectError> {
        if size > self.max_object_bytes {
            Err(ObjectError::TooLarge {
                size,
                limit: self.max_object_bytes,
            })
        } else {
            Ok(())
        }
    }
}

/// Sorts an SDK error into what the caller does next: give up on this
/// object (missing, refused) or retry (everything that may pass).
fn classify<E, R>(error: SdkError<E, R>, bucket: &str, key: &str) -> ObjectError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug + HttpStatus,
{
    let status = error.raw_response().map(HttpStatus::status_code);
    let code = error.code().map(str::to_owned);
    let message = aws_sdk_s3::error::DisplayErrorContext(&error).to_string();
    match (status, code.as_deref()) {
        (_, Some("NoSuchKey" | "NoSuchBucket")) | (Some(404), _) => ObjectError::NotFound {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        },
        (Some(429 | 500..=599), _) | (None, _) => ObjectError::Unavailable(message),
        (Some(_), _) => ObjectError::Refused(message),
    }
}

/// The HTTP status of a raw response, whatever its type.
trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}
