//! Settings every service shares: where its database and broker are, and
//! how it logs.

use crate::logging::LogFormat;

#[derive(Debug, Clone, clap::Args)]
pub struct ServiceOptions {
    /// PostgreSQL URL; it may hold a password, so help never shows its value.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,

    #[arg(
        long,
        env = "MASKWATCH_AMQP_URL",
        hide_env_values = true,
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    pub amqp_url: String,

    /// Prefix of the exchange and queue names.
    #[arg(long, env = "MASKWATCH_QUEUE_PREFIX", default_value = "maskwatch")]
    pub queue_prefix: String,

    #[arg(long, value_enum, default_value_t = LogFormat::Json, env = "MASKWATCH_LOG_FORMAT")]
    pub log_format: LogFormat,
}
