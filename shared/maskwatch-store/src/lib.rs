//! The audit record in PostgreSQL.
//!
//! The schema lives in `migrations/` at the repository root and is applied by
//! every service at start (migrations take a lock, so replicas may race).
//! Writes are shaped so that repeating one, as happens when a message is
//! delivered twice, changes nothing: rows have natural keys, and a result is
//! only written over an image that is still pending.

mod audits;
mod cameras;
mod images;
mod model_sets;
mod results;

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use audits::{Audit, AuditKind, AuditProgress};
pub use cameras::{Camera, NewCamera};
pub use images::ImageRef;
pub use results::{ImageOutcome, ImageResult, Recorded};
pub use sqlx;

/// The migrations in `migrations/`, embedded in every binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    /// Connects lazily: the pool opens connections when first used, so a
    /// service can start (and report itself not ready) while the database is
    /// down, and reconnects by itself when it returns.
    pub fn connect_lazy(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy(url)?;
        Ok(Self { pool })
    }

    /// Like [`Store::connect_lazy`], for connections that run reports: each
    /// query is planned for its actual parameters. A cached generic plan
    /// cannot see, for example, that a camera filter selects one camera in
    /// five hundred, and picks a scan of every camera's rows instead.
    pub fn connect_lazy_for_reports(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        let options =
            PgConnectOptions::from_str(url)?.options([("plan_cache_mode", "force_custom_plan")]);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options);
        Ok(Self { pool })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        MIGRATOR.run(&self.pool).await
    }

    /// A round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
