//! The worker's settings, from flags or the environment.

use std::net::SocketAddr;
use std::time::Duration;

use maskwatch_engine::EngineOptions;
use maskwatch_objects::ObjectStoreOptions;
use maskwatch_service::ServiceOptions;

/// Consume image jobs from RabbitMQ, audit the images, write the results to
/// PostgreSQL.
#[derive(Debug, clap::Parser)]
#[command(name = "maskwatch-worker", version, about)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub service: ServiceOptions,

    /// Health, readiness and metrics endpoints.
    #[arg(long, env = "MASKWATCH_WORKER_LISTEN", default_value = "0.0.0.0:9190")]
    pub listen: SocketAddr,

    /// This worker's name in the results [default: the host name and process id].
    #[arg(long, env = "MASKWATCH_WORKER_NAME")]
    pub name: Option<String>,

    /// Images whose faces share one inference batch.
    #[arg(long, env = "MASKWATCH_BATCH_IMAGES", default_value_t = 8)]
    pub batch_images: usize,

    /// Longest wait for a batch to fill once its first image has arrived.
    #[arg(long, env = "MASKWATCH_BATCH_WAIT_MS", default_value_t = 100)]
    pub batch_wait_ms: u64,

    /// Messages the broker hands this worker before it acknowledges any:
    /// enough to fill the next batch while this one runs, no more, so that
    /// other workers get the rest.
    #[arg(long, env = "MASKWATCH_PREFETCH", default_value_t = 16)]
    pub prefetch: u16,

    /// Objects fetched from S3 at once.
    #[arg(long, env = "MASKWATCH_FETCH_CONCURRENCY", default_value_t = 8)]
    pub fetch_concurrency: usize,

    /// How long to keep retrying S3 for one delivery before returning it to
    /// the queue (which counts towards its delivery limit).
    #[arg(long, env = "MASKWATCH_FETCH_RETRY_SECS", default_value_t = 60)]
    pub fetch_retry_secs: u64,

    #[command(flatten)]
    pub engine: EngineOptions,

    #[command(flatten)]
    pub objects: ObjectStoreOptions,
}

impl WorkerArgs {
    pub fn batch_wait(&self) -> Duration {
        Duration::from_millis(self.batch_wait_ms)
    }

    pub fn fetch_retry(&self) -> Duration {
        Duration::from_secs(self.fetch_retry_secs)
    }

    pub fn worker_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "worker".into());
            format!("{host}-{}", std::process::id())
        })
    }
}
