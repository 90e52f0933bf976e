//! Taking the machine's services away and bringing them back, for the fault
//! tests, through `scripts/services` as an operator would; and reading a
//! process's memory from `/proc`.
//!
//! Stopping PostgreSQL or RabbitMQ needs the rights to manage them (root, as
//! in CI); without them the test fails with the command's own message.

use std::process::Command;

use maskwatch_store::Store;
use maskwatch_store::sqlx::{self, AssertSqlSafe};

use crate::deployment::ADMIN_DATABASE_URL;
use crate::repo_root;

/// One of the services `scripts/services` manages.
#[derive(Debug, Clone, Copy)]
pub enum MachineService {
    Postgres,
    RabbitMq,
    S3,
}

impl MachineService {
    fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::RabbitMq => "rabbitmq",
            Self::S3 => "s3",
        }
    }

    /// Stops the service and returns once its port is closed.
    pub fn stop(self) {
        services(&["stop", self.name()]);
    }
}

/// Starts whatever of PostgreSQL, RabbitMQ and the S3 server is not running,
/// and returns once each listens.
pub fn start_stopped_services() {
    services(&[]);
}

fn services(arguments: &[&str]) {
    let script = repo_root().join("scripts/services");
    let output = Command::new(&script)
        .args(arguments)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "scripts/services {arguments:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Makes PostgreSQL refuse every new connection to `database` and closes the
/// open ones, as a database at its connection limit or in maintenance does.
pub async fn refuse_connections(database: &str) {
    set_allow_connections(database, false).await;
    let admin = Store::connect_lazy(ADMIN_DATABASE_URL, 1).expect("admin pool");
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(database)
        .execute(admin.pool())
        .await
        .expect("closing the database's connections");
}

pub async fn allow_connections(database: &str) {
    set_allow_connections(database, true).await;
}

async fn set_allow_connections(database: &str, allow: bool) {
    let admin = Store::connect_lazy(ADMIN_DATABASE_URL, 1).expect("admin pool");
    // ALTER DATABASE takes no bound parameters; the name is the test's own.
    sqlx::raw_sql(AssertSqlSafe(format!(
        "ALTER DATABASE {database} WITH ALLOW_CONNECTIONS {allow}"
    )))
    .execute(admin.pool())
    .await
    .unwrap_or_else(|e| panic!("ALTER DATABASE {database}: {e}"));
}

/// A process's resident memory now and at its peak, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct ResidentMemory {
    pub current: u64,
    pub peak: u64,
}

impl ResidentMemory {
    /// Reads `VmRSS` and `VmHWM` of process `pid`.
    pub fn of(pid: u32) -> Option<Self> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kib = |field: &str| -> Option<u64> {
            let line = status.lines().find(|l| l.starts_with(field))?;
            line[field.len()..]
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
                .map(|k| k * 1024)
        };
        Some(Self {
            current: kib("VmRSS:")?,
            peak: kib("VmHWM:")?,
        })
    }
}
