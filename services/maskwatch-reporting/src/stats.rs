//! Compliance statistics: faces per condition and images per outcome, over
//! any combination of camera, site, audit and hour, day or week.
//!
//! Two sources give the same numbers: the hourly rollup (a few rows per
//! camera and hour, kept up to date as images finish) and the faces
//! themselves. The rollup answers whenever it can be exact: no confidence
//! threshold, a time range on whole hours, and a time zone whose offset is a
//! whole number of hours over the range (so that its days start on a UTC
//! hour). Otherwise the faces are counted.

use chrono::{DateTime, Timelike, Utc};
use maskwatch_store::sqlx::{self, PgPool, Postgres, QueryBuilder};
use serde::Serialize;
use uuid::Uuid;

use crate::filters::{FilterColumns, Filters};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKey {
    Camera,
    Site,
    Audit,
    Hour,
    Day,
    Week,
}

impl std::str::FromStr for GroupKey {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(match name {
            "camera" => GroupKey::Camera,
            "site" => GroupKey::Site,
            "audit" => GroupKey::Audit,
            "hour" => GroupKey::Hour,
            "day" => GroupKey::Day,
            "week" => GroupKey::Week,
            other => {
                return Err(format!(
                    "cannot group by {other:?} (camera, site, audit, hour, day or week)"
                ));
            }
        })
    }
}

impl GroupKey {
    fn period(self) -> Option<&'static str> {
        match self {
            GroupKey::Hour => Some("hour"),
            GroupKey::Day => Some("day"),
            GroupKey::Week => Some("week"),
            _ => None,
        }
    }
}

/// What to group by, at most one time period.
#[derive(Debug, Clone, Default)]
pub struct Grouping {
    pub keys: Vec<GroupKey>,
}

impl Grouping {
    pub fn new(mut keys: Vec<GroupKey>) -> Result<Self, String> {
        keys.dedup();
        if keys.iter().filter(|key| key.period().is_some()).count() > 1 {
            return Err("group by at most one of hour, day and week".into());
        }
        Ok(Self { keys })
    }

    pub fn has(&self, key: GroupKey) -> bool {
        self.keys.contains(&key)
    }

    fn period(&self) -> Option<&'static str> {
        self.keys.iter().find_map(|key| key.period())
    }
}

/// One group's totals. Keys the report was not grouped by are `None`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct StatsRow {
    pub camera_id: Option<Uuid>,
    pub camera: Option<String>,
    pub site: Option<String>,
    pub audit_id: Option<Uuid>,
    pub period_start: Option<DateTime<Utc>>,
    pub images_done: i64,
    pub images_failed: i64,
    pub faces_no_mask: i64,
    pub faces_incorrect: i64,
    pub faces_correct: i64,
}

impl StatsRow {
    pub fn faces(&self) -> i64 {
        self.faces_no_mask + self.faces_incorrect + self.faces_correct
    }

    /// Correct over all faces; `None` without faces.
    pub fn compliance_rate(&self) -> Option<f64> {
        let faces = self.faces();
        (faces > 0).then(|| self.faces_correct as f64 / faces as f64)
    }

    /// Any mask (correct or not) over all faces.
    pub fn mask_rate(&self) -> Option<f64> {
        let faces = self.faces();
        (faces > 0).then(|| (self.faces_correct + self.faces_incorrect) as f64 / faces as f64)
    }
}

/// Which table answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    HourlyRollup,
    Faces,
}

pub async fn compliance(
    pool: &PgPool,
    filters: &Filters,
    grouping: &Grouping,
) -> Result<(Source, Vec<StatsRow>), sqlx::Error> {
    let source = if rollup_is_exact(pool, filters, grouping).await? {
        Source::HourlyRollup
    } else {
        Source::Faces
    };
    let mut query = QueryBuilder::<Postgres>::new("SELECT ");
    push_key_columns(&mut query, filters, grouping);
    query.push(
        ", coalesce(sum(s.images_done), 0)::int8 AS images_done, \
         coalesce(sum(s.images_failed), 0)::int8 AS images_failed, \
         coalesce(sum(s.no_mask), 0)::int8 AS faces_no_mask, \
         coalesce(sum(s.incorrect), 0)::int8 AS faces_incorrect, \
         coalesce(sum(s.correct), 0)::int8 AS faces_correct FROM (",
    );
    match source {
        Source::HourlyRollup => push_rollup_source(&mut query, filters),
        Source::Faces => push_faces_source(&mut query, filters),
    }
    query.push(") s LEFT JOIN cameras c ON c.id = s.camera_id");
    if !grouping.keys.is_empty() {
        let positions = (1..=5)
            .filter(|&position| key_in_use(position, grouping))
            .map(|position| position.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        query.push(format_args!(" GROUP BY {positions} ORDER BY {positions}"));
    }
    let rows = query.build_query_as::<StatsRow>().fetch_all(pool).await?;
    Ok((source, rows))
}

/// Whether select-list column `position` (1-based, in [`push_key_columns`]
/// order) is a key of this grouping.
fn key_in_use(position: usize, grouping: &Grouping) -> bool {
    match position {
        1 | 2 => grouping.has(GroupKey::Camera),
        3 => grouping.has(GroupKey::Site) || grouping.has(GroupKey::Camera),
        4 => grouping.has(GroupKey::Audit),
        5 => grouping.period().is_some(),
        _ => false,
    }
}

fn push_key_columns(query: &mut QueryBuilder<Postgres>, filters: &Filters, grouping: &Grouping) {
    let camera = grouping.has(GroupKey::Camera);
    query.push(if camera {
        "s.camera_id AS camera_id, c.name AS camera, "
    } else {
        "NULL::uuid AS camera_id, NULL::text AS camera, "
    });
    // A camera is at one site, so grouping by camera also names the site.
    query.push(if camera || grouping.has(GroupKey::Site) {
        "c.site AS site, "
    } else {
        "NULL::text AS site, "
    });
    query.push(if grouping.has(GroupKey::Audit) {
        "s.audit_id AS audit_id, "
    } else {
        "NULL::uuid AS audit_id, "
    });
    match grouping.period() {
        // The period starts at local midnight (or the local hour), given as
        // the instant it is.
        Some(period) => {
            query
                .push(format_args!("date_trunc('{period}', s.at AT TIME ZONE "))
                .push_bind(filters.time_zone.clone())
                .push(") AT TIME ZONE ")
                .push_bind(filters.time_zone.clone())
                .push(" AS period_start");
        }
        None => {
            query.push("NULL::timestamptz AS period_start");
        }
    }
}

fn push_rollup_source(query: &mut QueryBuilder<Postgres>, filters: &Filters) {
    query.push(
        "SELECT r.hour AS at, r.camera_id, r.audit_id, r.images_done, r.images_failed, \
         r.faces_no_mask AS no_mask, r.faces_incorrect AS incorrect, r.faces_correct AS correct \
         FROM compliance_hourly r WHERE true",
    );
    filters.push_conditions(
        query,
        &FilterColumns {
            time: "r.hour",
            camera: "r.camera_id",
            audit: "r.audit_id",
        },
    );
}

fn push_faces_source(query: &mut QueryBuilder<Postgres>, filters: &Filters) {
    query.push(
        "SELECT i.observed_at AS at, i.camera_id, i.audit_id, \
         (i.status = 'done')::int AS images_done, (i.status = 'failed')::int AS images_failed, \
         f.no_mask, f.incorrect, f.correct \
         FROM images i CROSS JOIN LATERAL ( \
           SELECT count(*) FILTER (WHERE condition = 'no_mask') AS no_mask, \
                  count(*) FILTER (WHERE condition = 'incorrect') AS incorrect, \
                  count(*) FILTER (WHERE condition = 'correct') AS correct \
           FROM faces WHERE image_id = i.id",
    );
    if let Some(confidence) = filters.min_confidence {
        query.push(" AND confidence >= ").push_bind(confidence);
    }
    query.push(") f WHERE i.status <> 'pending'");
    filters.push_conditions(
        query,
        &FilterColumns {
            time: "i.observed_at",
            camera: "i.camera_id",
            audit: "i.audit_id",
        },
    );
}

async fn rollup_is_exact(
    pool: &PgPool,
    filters: &Filters,
    grouping: &Grouping,
) -> Result<bool, sqlx::Error> {
    let on_the_hour = |time: Option<DateTime<Utc>>| {
        time.is_none_or(|t| t.minute() == 0 && t.second() == 0 && t.nanosecond() == 0)
    };
    if filters.min_confidence.is_some() || !on_the_hour(filters.from) || !on_the_hour(filters.to) {
        return Ok(false);
    }
    if grouping.period().is_none() || filters.time_zone == "UTC" {
        return Ok(true);
    }
    // Every UTC hour of the range must be a whole local hour.
    sqlx::query_scalar(
        "SELECT coalesce(bool_and(extract(minute FROM h AT TIME ZONE $1) = 0
                                  AND extract(second FROM h AT TIME ZONE $1) = 0), true)
         FROM generate_series(
             coalesce($2, (SELECT min(hour) FROM compliance_hourly)),
             coalesce($3, (SELECT max(hour) FROM compliance_hourly)),
             interval '1 hour') AS h",
    )
    .bind(&filters.time_zone)
    .bind(filters.from)
    .bind(filters.to)
    .fetch_one(pool)
    .await
}
