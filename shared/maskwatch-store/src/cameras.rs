//! Cameras and their scheduled snapshots.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ImageRef, Store};

#[derive(Debug, Clone, Deserialize)]
pub struct NewCamera {
    pub name: String,
    pub site: String,
    pub bucket: String,
    pub key_template: String,
    pub schedule: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Camera {
    pub id: Uuid,
    pub name: String,
    pub site: String,
    pub bucket: String,
    pub key_template: String,
    pub schedule: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Registers a camera, or updates the one with the same name.
    pub async fn upsert_camera(&self, camera: &NewCamera) -> Result<Camera, sqlx::Error> {
        sqlx::query_as(
            "INSERT INTO cameras (id, name, site, bucket, key_template, schedule)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (name) DO UPDATE SET site = EXCLUDED.site, bucket = EXCLUDED.bucket,
                 key_template = EXCLUDED.key_template, schedule = EXCLUDED.schedule,
                 enabled = true
             RETURNING id, name, site, bucket, key_template, schedule, enabled, created_at",
        )
        .bind(Uuid::new_v4())
        .bind(&camera.name)
        .bind(&camera.site)
        .bind(&camera.bucket)
        .bind(&camera.key_template)
        .bind(&camera.schedule)
        .fetch_one(self.pool())
        .await
    }

    pub async fn enabled_cameras(&self) -> Result<Vec<Camera>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, name, site, bucket, key_template, schedule, enabled, created_at
             FROM cameras WHERE enabled ORDER BY name",
        )
        .fetch_all(self.pool())
        .await
    }

    /// Claims one scheduled snapshot. Of several ingest replicas claiming the
    /// same camera and time, exactly one gets the image back; the others get
    /// `None` and publish nothing.
    pub async fn claim_snapshot(
        &self,
        camera: &Camera,
        scheduled_at: DateTime<Utc>,
        key: &str,
    ) -> Result<Option<ImageRef>, sqlx::Error> {
        sqlx::query_as(
            "INSERT INTO images (id, camera_id, bucket, object_key, captured_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (camera_id, captured_at) WHERE camera_id IS NOT NULL DO NOTHING
             RETURNING id, bucket, object_key",
        )
        .bind(Uuid::new_v4())
        .bind(camera.id)
        .bind(&camera.bucket)
        .bind(key)
        .bind(scheduled_at)
        .fetch_optional(self.pool())
        .await
    }
}
