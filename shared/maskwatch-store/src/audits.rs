//! Audits: one object, or every object under an S3 prefix.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::{ImageRef, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    Object,
    Prefix,
}

impl AuditKind {
    fn as_str(self) -> &'static str {
        match self {
            AuditKind::Object => "object",
            AuditKind::Prefix => "prefix",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub id: Uuid,
    pub kind: AuditKind,
    pub bucket: String,
    pub prefix: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub listed_at: Option<DateTime<Utc>>,
}

/// How far an audit has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditProgress {
    pub audit_id: Uuid,
    /// Whether every object under the prefix has been found and submitted.
    pub listing_complete: bool,
    pub images: i64,
    pub done: i64,
    pub failed: i64,
    pub pending: i64,
    pub faces: i64,
}

impl AuditProgress {
    /// Every image ended as a result or a recorded failure.
    pub fn is_finished(&self) -> bool {
        self.listing_complete && self.pending == 0
    }
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: Uuid,
    kind: String,
    bucket: String,
    prefix: String,
    name: Option<String>,
    created_at: DateTime<Utc>,
    listed_at: Option<DateTime<Utc>>,
}

impl From<AuditRow> for Audit {
    fn from(row: AuditRow) -> Self {
        Audit {
            id: row.id,
            kind: if row.kind == "prefix" {
                AuditKind::Prefix
            } else {
                AuditKind::Object
            },
            bucket: row.bucket,
            prefix: row.prefix,
            name: row.name,
            created_at: row.created_at,
            listed_at: row.listed_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct OpenedAudit {
    #[sqlx(flatten)]
    audit: AuditRow,
    existed: bool,
}

impl Store {
    /// The audit of a prefix: a new one, or the existing one for the same
    /// bucket and prefix, so that submitting again resumes instead of
    /// repeating. The flag says whether it existed.
    pub async fn open_prefix_audit(
        &self,
        bucket: &str,
        prefix: &str,
        name: Option<&str>,
    ) -> Result<(Audit, bool), sqlx::Error> {
        let opened: OpenedAudit = sqlx::query_as(
            "INSERT INTO audits (id, kind, bucket, prefix, name) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (bucket, prefix) WHERE kind = 'prefix'
             DO UPDATE SET name = COALESCE(EXCLUDED.name, audits.name)
             RETURNING id, kind, bucket, prefix, name, created_at, listed_at,
                       xmax <> 0 AS existed",
        )
        .bind(Uuid::new_v4())
        .bind(AuditKind::Prefix.as_str())
        .bind(bucket)
        .bind(prefix)
        .bind(name)
        .fetch_one(self.pool())
        .await?;
        // xmax is set when ON CONFLICT updated an existing row.
        Ok((opened.audit.into(), opened.existed))
    }

    /// An audit of one object, with its image row, in one transaction.
    pub async fn create_object_audit(
        &self,
        bucket: &str,
        key: &str,
        name: Option<&str>,
    ) -> Result<(Audit, ImageRef), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let row: AuditRow = sqlx::query_as(
            "INSERT INTO audits (id, kind, bucket, prefix, name, listed_at)
             VALUES ($1, $2, $3, $4, $5, now())
             RETURNING id, kind, bucket, prefix, name, created_at, listed_at",
        )
        .bind(Uuid::new_v4())
        .bind(AuditKind::Object.as_str())
        .bind(bucket)
        .bind(key)
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
        let audit = Audit::from(row);
        let image = ImageRef {
            id: Uuid::new_v4(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        };
        sqlx::query(
            "INSERT INTO images (id, audit_id, bucket, object_key) VALUES ($1, $2, $3, $4)",
        )
        .bind(image.id)
        .bind(audit.id)
        .bind(bucket)
        .bind(key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((audit, image))
    }

    /// Adds one listing page's objects to an audit. Objects already in the
    /// audit are skipped; returns the images that still need publishing
    /// (new ones, and earlier ones whose publication was never confirmed).
    pub async fn add_listed_objects(
        &self,
        audit_id: Uuid,
        bucket: &str,
        objects: &[(String, Option<DateTime<Utc>>)],
    ) -> Result<Vec<ImageRef>, sqlx::Error> {
        let ids: Vec<Uuid> = objects.iter().map(|_| Uuid::new_v4()).collect();
        let keys: Vec<&str> = objects.iter().map(|(key, _)| key.as_str()).collect();
        let captured: Vec<Option<DateTime<Utc>>> = objects.iter().map(|(_, at)| *at).collect();
        sqlx::query(
            "INSERT INTO images (id, audit_id, bucket, object_key, captured_at)
             SELECT id, $1, $2, key, captured
             FROM UNNEST($3::uuid[], $4::text[], $5::timestamptz[]) AS t(id, key, captured)
             ON CONFLICT (audit_id, bucket, object_key) WHERE audit_id IS NOT NULL DO NOTHING",
        )
        .bind(audit_id)
        .bind(bucket)
        .bind(&ids)
        .bind(&keys)
        .bind(&captured)
        .execute(self.pool())
        .await?;
        sqlx::query_as(
            "SELECT id, bucket, object_key FROM images
             WHERE audit_id = $1 AND bucket = $2 AND object_key = ANY($3)
               AND queued_at IS NULL AND status = 'pending'
             ORDER BY object_key",
        )
        .bind(audit_id)
        .bind(bucket)
        .bind(&keys)
        .fetch_all(self.pool())
        .await
    }

    pub async fn finish_listing(&self, audit_id: Uuid) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE audits SET listed_at = now() WHERE id = $1 AND listed_at IS NULL")
            .bind(audit_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn audit_progress(
        &self,
        audit_id: Uuid,
    ) -> Result<Option<AuditProgress>, sqlx::Error> {
        let row: Option<(bool, i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT a.listed_at IS NOT NULL,
                    count(i.id),
                    count(i.id) FILTER (WHERE i.status = 'done'),
                    count(i.id) FILTER (WHERE i.status = 'failed'),
                    count(i.id) FILTER (WHERE i.status = 'pending'),
                    COALESCE((SELECT count(*) FROM faces f JOIN images fi ON fi.id = f.image_id
                              WHERE fi.audit_id = a.id), 0)
             FROM audits a LEFT JOIN images i ON i.audit_id = a.id
             WHERE a.id = $1
             GROUP BY a.id",
        )
        .bind(audit_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(
            |(listing_complete, images, done, failed, pending, faces)| AuditProgress {
                audit_id,
                listing_complete,
                images,
                done,
                failed,
                pending,
                faces,
            },
        ))
    }
}
