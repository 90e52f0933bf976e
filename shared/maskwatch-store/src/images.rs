//! Image rows from submission to the broker's confirm.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;

/// An image to audit, as published to the work queue.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ImageRef {
    pub id: Uuid,
    pub bucket: String,
    #[sqlx(rename = "object_key")]
    pub key: String,
}

impl Store {
    /// Marks images as confirmed by the broker.
    pub async fn mark_queued(&self, ids: &[Uuid]) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE images SET queued_at = now() WHERE id = ANY($1) AND queued_at IS NULL")
            .bind(ids)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Pending images submitted before `older_than` whose publication was
    /// never confirmed (the submitter died, or the broker was away).
    pub async fn unqueued_images(
        &self,
        older_than: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ImageRef>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, bucket, object_key FROM images
             WHERE queued_at IS NULL AND status = 'pending' AND submitted_at < $1
             ORDER BY submitted_at LIMIT $2",
        )
        .bind(older_than)
        .bind(limit)
        .fetch_all(self.pool())
        .await
    }

    /// The unqueued images of one audit, for resuming its publication.
    pub async fn unqueued_images_of_audit(
        &self,
        audit_id: Uuid,
        limit: i64,
    ) -> Result<Vec<ImageRef>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, bucket, object_key FROM images
             WHERE audit_id = $1 AND queued_at IS NULL AND status = 'pending'
             ORDER BY object_key LIMIT $2",
        )
        .bind(audit_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await
    }

    pub async fn image_exists(&self, id: Uuid) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM images WHERE id = $1)")
            .bind(id)
            .fetch_one(self.pool())
            .await
    }
}
