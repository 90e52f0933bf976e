//! The ingest service's settings, from flags or the environment.

use std::net::SocketAddr;
use std::time::Duration;

use maskwatch_objects::ObjectStoreOptions;
use maskwatch_service::{AuthOptions, ServiceOptions};

/// Accept audit requests and camera schedules, and queue one job per image.
#[derive(Debug, clap::Parser)]
#[command(name = "maskwatch-ingest", version, about)]
pub struct IngestArgs {
    #[command(flatten)]
    pub service: ServiceOptions,

    #[command(flatten)]
    pub auth: AuthOptions,

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

    #[command(flatten)]
    pub objects: ObjectStoreOptions,
}

impl IngestArgs {
    pub fn scheduler_tick(&self) -> Duration {
        Duration::from_millis(self.scheduler_tick_ms.max(10))
    }
}
