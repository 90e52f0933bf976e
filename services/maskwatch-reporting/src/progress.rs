//! Audit progress and the camera list, as the dashboard and reports show them.

use chrono::{DateTime, Utc};
use maskwatch_store::sqlx::{self, PgPool};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub audit_id: Uuid,
    pub name: Option<String>,
    pub kind: String,
    pub bucket: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// Whether every object of the audit is known (always, for one object).
    pub listing_complete: bool,
    pub images: i64,
    pub done: i64,
    pub failed: i64,
    pub pending: i64,
}

const SELECT_AUDITS: &str = "SELECT a.id AS audit_id, a.name, a.kind, a.bucket, a.prefix, \
     a.created_at, (a.kind = 'object' OR a.listed_at IS NOT NULL) AS listing_complete, \
     p.images, p.done, p.failed, p.pending \
     FROM audits a CROSS JOIN LATERAL ( \
       SELECT count(*) AS images, \
              count(*) FILTER (WHERE status = 'done') AS done, \
              count(*) FILTER (WHERE status = 'failed') AS failed, \
              count(*) FILTER (WHERE status = 'pending') AS pending \
       FROM images WHERE audit_id = a.id) p";

/// The latest audits, newest first.
pub async fn latest_audits(pool: &PgPool, limit: i64) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_AUDITS} ORDER BY a.created_at DESC, a.id LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn audit(pool: &PgPool, id: Uuid) -> Result<Option<AuditRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_AUDITS} WHERE a.id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CameraRow {
    pub camera_id: Uuid,
    pub name: String,
    pub site: String,
    pub enabled: bool,
}

pub async fn cameras(pool: &PgPool) -> Result<Vec<CameraRow>, sqlx::Error> {
    sqlx::query_as("SELECT id AS camera_id, name, site, enabled FROM cameras ORDER BY site, name")
        .fetch_all(pool)
        .await
}
