//! The ingest service's settings, from flags or the environment.

use std::net::SocketAddr;
use std::time::Duration;

use maskwatch_objects::ObjectStoreOptions;
use maskwatch_service::logging::LogFormat;

/// Accept audit requests and camera schedules, and queue one job per image.
#[derive(Debug, clap::Parser)]
#[command(name = "maskwatch-ingest", version, about)]
pub struct IngestArgs {
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,

    #[arg(
        long,
        env = "MASKWATCH_AMQP_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    pub amqp_url: String,

    /// Prefix of the exchange and queue names.
    #[arg(long, env = "MASKWATCH_QUEUE_PREFIX", default_value = "maskwatch")]
    pub queue_prefix: String,

    /// The HTTP API, with health, readiness and metrics.
    #[arg(long, env = "MASKWATCH_INGEST_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,

    /// How often camera schedules are checked.
    #[arg(long, env = "MASKWATCH_SCHEDULER_TICK_MS", default_value_t = 1000)]
    pub scheduler_tick_ms: u64,

    /// At start, snapshots scheduled this long ago that no replica claimed
    /// are still taken.
    #[arg(long, env = "MASKWATCH_CAMERA_CATCH_UP_SECS", default_value_t = 60)]
    pub camera_catch_up_secs: u64,

    /// Images whose publication was not confirmed for this long are published again.
    #[arg(long, env = "MASKWATCH_REPUBLISH_AFTER_SECS", default_value_t = 30)]
    pub republish_after_secs: u64,

    #[arg(long, value_enum, default_value_t = LogFormat::Json, env = "MASKWATCH_LOG_FORMAT")]
    pub log_format: LogFormat,

    #[command(flatten)]
    pub objects: ObjectStoreOptions,
}

impl IngestArgs {
    pub fn scheduler_tick(&self) -> Duration {
        Duration::from_millis(self.scheduler_tick_ms.max(10))
    }
}
