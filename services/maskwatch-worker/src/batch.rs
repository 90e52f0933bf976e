//! Auditing one batch of deliveries, from parsing to acknowledgement.
//!
//! Every delivery ends in exactly one of three ways: acknowledged after its
//! outcome (result or failure) is committed; returned to the queue after an
//! error that may pass; or, if it is not a job at all, recorded as rejected
//! and acknowledged. Acknowledging only after the commit means a crash at
//! any point loses nothing: the broker hands the message out again, and the
//! store ignores a second outcome for an image that already has one.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use maskwatch_queue::ImageJob;
use maskwatch_queue::lapin::message::Delivery;
use maskwatch_queue::lapin::options::{BasicAckOptions, BasicNackOptions};
use maskwatch_service::Backoff;
use maskwatch_store::{ImageOutcome, ImageResult, Recorded, Store};
use tokio::sync::watch;
use uuid::Uuid;

use crate::fetch::{FetchOutcome, Fetched, Fetcher};
use crate::inference::Inference;
use crate::metrics::WorkerMetrics;

/// While shutting down, give up on a database outage after this long and
/// return the held messages to the queue.
const SHUTDOWN_DATABASE_PATIENCE: Duration = Duration::from_secs(20);

pub struct BatchProcessor {
    pub store: Store,
    pub fetcher: Fetcher,
    pub inference: Inference,
    pub metrics: Arc<WorkerMetrics>,
    pub worker_name: String,
    pub model_set: String,
    pub fetch_concurrency: usize,
    pub shutdown: watch::Receiver<bool>,
}

struct Job {
    delivery: Delivery,
    job: ImageJob,
}

impl BatchProcessor {
    pub async fn process(&self, deliveries: Vec<Delivery>) {
        self.metrics.batch_images.observe(deliveries.len() as f64);
        let mut jobs = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            self.observe_queue_time(&delivery);
            match ImageJob::from_bytes(&delivery.data) {
                Ok(job) => jobs.push(Job { delivery, job }),
                Err(error) => self.reject(delivery, &error.to_string()).await,
            }
        }
        if jobs.is_empty() {
            return;
        }

        let ids: Vec<Uuid> = jobs.iter().map(|j| j.job.image_id).collect();
        let Some(pending) = self
            .retry_database("counting attempts", async || {
                self.store.start_attempts(&ids, &self.worker_name).await
            })
            .await
        else {
            return requeue_all(jobs).await;
        };
        let (jobs, finished): (Vec<_>, Vec<_>) = jobs
            .into_iter()
            .partition(|j| pending.contains(&j.job.image_id));
        for job in finished {
            self.settle_unknown_or_finished(job).await;
        }

        let fetch_started = Instant::now();
        let fetched: Vec<(Job, FetchOutcome)> = futures_util::stream::iter(jobs)
            .map(|job| async move {
                let outcome = self
                    .fetcher
                    .fetch(&job.job, &self.shutdown, || {
                        self.metrics
                            .transient_errors
                            .with_label_values(&["s3"])
                            .inc()
                    })
                    .await;
                (job, outcome)
            })
            .buffered(self.fetch_concurrency.max(1))
            .collect()
            .await;
        self.metrics
            .fetch_seconds
            .observe(fetch_started.elapsed().as_secs_f64());

        let mut decoded = Vec::new();
        for (job, outcome) in fetched {
            match outcome {
                FetchOutcome::Decoded(fetched) => decoded.push((job, fetched)),
                FetchOutcome::Failed(reason) => {
                    let image_id = job.job.image_id;
                    self.settle(job, ImageOutcome::Failed { image_id, reason })
                        .await;
                }
                FetchOutcome::Transient(reason) => self.return_to_queue(job, &reason).await,
            }
        }
        if decoded.is_empty() {
            return;
        }

        let inference_started = Instant::now();
        let (jobs, fetched): (Vec<Job>, Vec<Fetched>) = decoded.into_iter().unzip();
        let mut summaries = Vec::with_capacity(fetched.len());
        let photos = fetched
            .into_iter()
            .map(|f| {
                summaries.push((
                    f.content_sha256,
                    f.photo.width(),
                    f.photo.height(),
                    f.fetch_ms,
                ));
                f.photo
            })
            .collect();
        let findings = self.inference.audit(photos).await;
        let inference_seconds = inference_started.elapsed().as_secs_f64();
        self.metrics.inference_seconds.observe(inference_seconds);
        let inference_ms = (inference_seconds * 1000.0 / jobs.len() as f64) as f32;

        for ((job, (content_sha256, width, height, fetch_ms)), faces) in
            jobs.into_iter().zip(summaries).zip(findings)
        {
            let image_id = job.job.image_id;
            let outcome = match faces {
                Ok(faces) => ImageOutcome::Audited(ImageResult {
                    image_id,
                    content_sha256,
                    width,
                    height,
                    model_set: self.model_set.clone(),
                    worker: self.worker_name.clone(),
                    fetch_ms,
                    inference_ms,
                    faces,
                }),
                Err(reason) => ImageOutcome::Failed { image_id, reason },
            };
            self.settle(job, outcome).await;
        }
    }

    /// Commits an image's outcome, then acknowledges its delivery.
    async fn settle(&self, job: Job, outcome: ImageOutcome) {
        let Some(recorded) = self
            .retry_database("recording an outcome", async || {
                self.store.record(&outcome).await
            })
            .await
        else {
            return requeue(job.delivery).await;
        };
        let label = match (&outcome, recorded) {
            (_, Recorded::AlreadyFinal) => "duplicate",
            (ImageOutcome::Audited(result), Recorded::Written) => {
                for face in &result.faces {
                    self.metrics
                        .faces
                        .with_label_values(&[face.condition.as_str()])
                        .inc();
                }
                "done"
            }
            (ImageOutcome::Failed { reason, .. }, Recorded::Written) => {
                tracing::info!(image_id = %job.job.image_id, key = %job.job.key, %reason, "image failed");
                "failed"
            }
        };
        self.metrics.images.with_label_values(&[label]).inc();
        acknowledge(job.delivery).await;
    }

    /// A job whose image is not pending: it ended before (a duplicate
    /// delivery), or no such image was ever submitted (a forged or stale message).
    async fn settle_unknown_or_finished(&self, job: Job) {
        let id = job.job.image_id;
        let exists = self
            .retry_database("looking up an image", async || {
                self.store.image_exists(id).await
            })
            .await;
        match exists {
            Some(true) => {
                self.metrics.images.with_label_values(&["duplicate"]).inc();
                acknowledge(job.delivery).await;
            }
            Some(false) => {
                self.reject(job.delivery, &format!("no image {id} was submitted"))
                    .await
            }
            None => requeue(job.delivery).await,
        }
    }

    /// Records a message that is not a job and drops it from the queue.
    async fn reject(&self, delivery: Delivery, reason: &str) {
        tracing::warn!(%reason, bytes = delivery.data.len(), "rejected a message that is not a job");
        let recorded = self
            .retry_database("recording a rejected message", async || {
                self.store
                    .record_rejected_message(reason, &delivery.data)
                    .await
            })
            .await;
        if recorded.is_some() {
            self.metrics.rejected_messages.inc();
            acknowledge(delivery).await;
        } else {
            requeue(delivery).await;
        }
    }

    /// Notes why a delivery failed for now, and returns it to the queue; the
    /// broker dead-letters it once it has been delivered too often.
    async fn return_to_queue(&self, job: Job, reason: &str) {
        tracing::warn!(image_id = %job.job.image_id, %reason, "returning a job to the queue");
        if let Err(error) = self
            .store
            .note_transient_error(job.job.image_id, reason)
            .await
        {
            tracing::warn!(%error, "could not note the error");
        }
        requeue(job.delivery).await;
    }

    /// Retries a database operation with backoff for as long as the worker
    /// runs; `None` once shutting down and the database stays away.
    async fn retry_database<T>(
        &self,
        what: &str,
        operation: impl AsyncFn() -> Result<T, maskwatch_store::sqlx::Error>,
    ) -> Option<T> {
        let mut backoff = Backoff::for_connections();
        let mut shutdown_since: Option<Instant> = None;
        loop {
            match operation().await {
                Ok(value) => return Some(value),
                Err(error) => {
                    self.metrics
                        .transient_errors
                        .with_label_values(&["database"])
                        .inc();
                    tracing::warn!(%error, operation = what, "database error; retrying");
                    if *self.shutdown.borrow() {
                        let since = *shutdown_since.get_or_insert_with(Instant::now);
                        if since.elapsed() > SHUTDOWN_DATABASE_PATIENCE {
                            return None;
                        }
                    }
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
        }
    }

    fn observe_queue_time(&self, delivery: &Delivery) {
        if let Some(published) = delivery.properties.timestamp() {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            self.metrics
                .queued_seconds
                .observe(now.saturating_sub(*published) as f64);
        }
    }
}

async fn acknowledge(delivery: Delivery) {
    // A failed acknowledgement means the channel is gone; the broker will
    // deliver the message again and the store will ignore the repeat.
    if let Err(error) = delivery.acker.ack(BasicAckOptions::default()).await {
        tracing::warn!(%error, "acknowledgement failed");
    }
}

async fn requeue(delivery: Delivery) {
    let options = BasicNackOptions {
        requeue: true,
        ..Default::default()
    };
    if let Err(error) = delivery.acker.nack(options).await {
        tracing::warn!(%error, "returning a message failed");
    }
}

async fn requeue_all(jobs: Vec<Job>) {
    for job in jobs {
        requeue(job.delivery).await;
    }
}
