//! Fetching one image from S3 and decoding it, with retries for what may pass.

use std::time::{Duration, Instant};

use image::RgbImage;
use maskwatch_objects::ObjectStore;
use maskwatch_pipeline::decode::{DecodeLimits, decode_rgb};
use maskwatch_pipeline::model_set::sha256_hex_of;
use maskwatch_queue::ImageJob;
use maskwatch_service::Backoff;
use tokio::sync::watch;

/// A decoded photo and what the record keeps about its bytes.
pub struct Fetched {
    pub photo: RgbImage,
    pub content_sha256: String,
    pub fetch_ms: f32,
}

pub enum FetchOutcome {
    Decoded(Fetched),
    /// The image can never be audited: missing, refused, oversized, not a photo.
    Failed(String),
    /// S3 kept failing for the whole retry window; the delivery goes back to
    /// the queue and is tried again later, within its delivery limit.
    Transient(String),
}

pub struct Fetcher {
    pub objects: ObjectStore,
    pub decode_limits: DecodeLimits,
    pub retry_window: Duration,
}

impl Fetcher {
    /// `on_retry` is called for each transient error that is retried.
    pub async fn fetch(
        &self,
        job: &ImageJob,
        shutdown: &watch::Receiver<bool>,
        on_retry: impl Fn(),
    ) -> FetchOutcome {
        let started = Instant::now();
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(8));
        let bytes = loop {
            match self.objects.get(&job.bucket, &job.key).await {
                Ok(bytes) => break bytes,
                Err(error) if !error.is_transient() => {
                    return FetchOutcome::Failed(error.to_string());
                }
                Err(error) => {
                    if started.elapsed() >= self.retry_window || *shutdown.borrow() {
                        return FetchOutcome::Transient(error.to_string());
                    }
                    on_retry();
                    tracing::warn!(bucket = %job.bucket, key = %job.key, %error, "S3 error; retrying");
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
        };
        let fetch_ms = started.elapsed().as_secs_f32() * 1000.0;
        let limits = self.decode_limits;
        let decoded = tokio::task::spawn_blocking(move || {
            let content_sha256 = sha256_hex_of(&bytes);
            decode_rgb(&bytes, limits).map(|photo| (photo, content_sha256))
        })
        .await;
        match decoded {
            Ok(Ok((photo, content_sha256))) => FetchOutcome::Decoded(Fetched {
                photo,
                content_sha256,
                fetch_ms,
            }),
            Ok(Err(error)) => FetchOutcome::Failed(format!("not a readable photo: {error}")),
            Err(panic) => FetchOutcome::Failed(format!("decoding crashed: {panic}")),
        }
    }
}
