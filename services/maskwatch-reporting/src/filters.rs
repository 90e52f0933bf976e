//! The filters every report takes: a time range, cameras, sites, audits and
//! a minimum classifier confidence, plus the time zone that days and hours
//! are counted in.

use chrono::{DateTime, Utc};
use maskwatch_service::ApiError;
use maskwatch_store::sqlx::{self, PgPool, Postgres, QueryBuilder};
use maskwatch_wire::{FilterParams, QueryParams};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Filters {
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    /// The cameras the `camera` (names) and `site` filters select, looked
    /// up once so that the report's plan can use the per-camera indexes;
    /// `None` when neither filter is given.
    pub camera_ids: Option<Vec<Uuid>>,
    pub audits: Vec<Uuid>,
    /// Faces whose classification is less certain than this are left out.
    pub min_confidence: Option<f32>,
    /// IANA name; PostgreSQL's time-zone database decides what it means.
    pub time_zone: String,
}

/// The columns of a report's source that the filters apply to.
pub struct FilterColumns {
    pub time: &'static str,
    pub camera: &'static str,
    pub audit: &'static str,
}

impl Filters {
    /// Reads the filters from the query and looks up the cameras they name.
    pub async fn from_params(params: &mut QueryParams, pool: &PgPool) -> Result<Self, ApiError> {
        let given = FilterParams::take(params)?;
        let camera_ids = if given.cameras.is_empty() && given.sites.is_empty() {
            None
        } else {
            Some(
                sqlx::query_scalar(
                    "SELECT id FROM cameras
                     WHERE (cardinality($1::text[]) = 0 OR name = ANY($1))
                       AND (cardinality($2::text[]) = 0 OR site = ANY($2))",
                )
                .bind(&given.cameras)
                .bind(&given.sites)
                .fetch_all(pool)
                .await?,
            )
        };
        Ok(Self {
            from: given.from,
            to: given.to,
            camera_ids,
            audits: given.audits,
            min_confidence: given.min_confidence,
            time_zone: given.time_zone,
        })
    }

    /// Appends ` AND ...` for every filter but the confidence, which only
    /// applies where faces are read.
    pub fn push_conditions(&self, query: &mut QueryBuilder<Postgres>, columns: &FilterColumns) {
        if let Some(from) = self.from {
            query
                .push(format_args!(" AND {} >= ", columns.time))
                .push_bind(from);
        }
        if let Some(to) = self.to {
            query
                .push(format_args!(" AND {} < ", columns.time))
                .push_bind(to);
        }
        if let Some(ids) = &self.camera_ids {
            query
                .push(format_args!(" AND {} = ANY(", columns.camera))
                .push_bind(ids.clone())
                .push(")");
        }
        if !self.audits.is_empty() {
            query
                .push(format_args!(" AND {} = ANY(", columns.audit))
                .push_bind(self.audits.clone())
                .push(")");
        }
    }
}
