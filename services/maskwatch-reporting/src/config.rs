//! The reporting service's settings, from flags or the environment.

use std::net::SocketAddr;

use maskwatch_objects::ObjectStoreOptions;
use maskwatch_service::AuthOptions;
use maskwatch_service::logging::LogFormat;

/// Serve compliance statistics, violations, audit progress and the dashboard.
#[derive(Debug, clap::Parser)]
#[command(name = "maskwatch-reporting", version, about)]
pub struct ReportingArgs {
    /// PostgreSQL URL; it may hold a password, so help never shows its value.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,

    /// The HTTP API and dashboard, with health, readiness and metrics.
    #[arg(
        long,
        env = "MASKWATCH_REPORTING_LISTEN",
        default_value = "0.0.0.0:8081"
    )]
    pub listen: SocketAddr,

    #[arg(long, value_enum, default_value_t = LogFormat::Json, env = "MASKWATCH_LOG_FORMAT")]
    pub log_format: LogFormat,

    #[command(flatten)]
    pub auth: AuthOptions,

    /// Where the photos are, for the violation thumbnails.
    #[command(flatten)]
    pub objects: ObjectStoreOptions,
}
