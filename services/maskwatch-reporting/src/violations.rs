//! Faces without a mask or with a mask worn incorrectly, newest first, a
//! page at a time. Pages are cut by a cursor (the last face's time and key)
//! rather than an offset, so that a page deep in a year of data costs the
//! same as the first and faces arriving meanwhile do not shift the pages.

use chrono::{DateTime, Utc};
use maskwatch_store::sqlx::{self, PgPool, Postgres, QueryBuilder};
use serde::Serialize;
use uuid::Uuid;

use crate::filters::{FilterColumns, Filters};

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Violation {
    pub image_id: Uuid,
    pub face_index: i32,
    pub observed_at: DateTime<Utc>,
    pub camera: Option<String>,
    pub site: Option<String>,
    pub audit_id: Option<Uuid>,
    pub bucket: String,
    pub object_key: String,
    pub condition: String,
    pub confidence: f32,
    pub detection_score: f32,
    pub x_min: f32,
    pub y_min: f32,
    pub x_max: f32,
    pub y_max: f32,
}

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    observed_at: DateTime<Utc>,
    image_id: Uuid,
    face_index: i32,
}

impl Cursor {
    pub fn after(violation: &Violation) -> Self {
        Self {
            observed_at: violation.observed_at,
            image_id: violation.image_id,
            face_index: violation.face_index,
        }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}_{}_{}",
            self.observed_at.timestamp_micros(),
            self.image_id.simple(),
            self.face_index
        )
    }
}

impl std::str::FromStr for Cursor {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const MALFORMED: &str = "not a cursor from a previous page";
        let mut parts = text.split('_');
        let (Some(micros), Some(image_id), Some(face_index), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(MALFORMED);
        };
        Ok(Self {
            observed_at: micros
                .parse()
                .ok()
                .and_then(DateTime::from_timestamp_micros)
                .ok_or(MALFORMED)?,
            image_id: image_id.parse().map_err(|_| MALFORMED)?,
            face_index: face_index.parse().map_err(|_| MALFORMED)?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    NoMask,
    Incorrect,
}

impl std::str::FromStr for ViolationKind {
    type Err = &'static str;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "no_mask" => Ok(Self::NoMask),
            "incorrect" => Ok(Self::Incorrect),
            _ => Err("expected no_mask or incorrect"),
        }
    }
}

impl ViolationKind {
    fn condition(self) -> &'static str {
        match self {
            Self::NoMask => "no_mask",
            Self::Incorrect => "incorrect",
        }
    }
}

const SELECT_FACES: &str = "SELECT f.image_id, f.face_index, i.observed_at, c.name AS camera, \
     c.site, i.audit_id, i.bucket, i.object_key, f.condition, f.confidence, f.detection_score, \
     f.x_min, f.y_min, f.x_max, f.y_max \
     FROM images i JOIN faces f ON f.image_id = i.id LEFT JOIN cameras c ON c.id = i.camera_id";

pub struct Page {
    pub violations: Vec<Violation>,
    pub next: Option<Cursor>,
}

pub async fn list(
    pool: &PgPool,
    filters: &Filters,
    kinds: &[ViolationKind],
    after: Option<&Cursor>,
    limit: u32,
) -> Result<Page, sqlx::Error> {
    let mut query = QueryBuilder::<Postgres>::new(SELECT_FACES);
    query.push(" WHERE i.status = 'done' AND f.condition <> 'correct'");
    filters.push_conditions(
        &mut query,
        &FilterColumns {
            time: "i.observed_at",
            camera: "i.camera_id",
            audit: "i.audit_id",
        },
    );
    if let Some(confidence) = filters.min_confidence {
        query.push(" AND f.confidence >= ").push_bind(confidence);
    }
    if !kinds.is_empty() {
        let conditions: Vec<String> = kinds.iter().map(|k| k.condition().to_owned()).collect();
        query
            .push(" AND f.condition = ANY(")
            .push_bind(conditions)
            .push(")");
    }
    if let Some(cursor) = after {
        query
            .push(" AND (i.observed_at, f.image_id, f.face_index) < (")
            .push_bind(cursor.observed_at)
            .push(", ")
            .push_bind(cursor.image_id)
            .push(", ")
            .push_bind(cursor.face_index)
            .push(")");
    }
    // One more than asked tells whether there is a next page.
    query
        .push(" ORDER BY i.observed_at DESC, f.image_id DESC, f.face_index DESC LIMIT ")
        .push_bind(i64::from(limit) + 1);
    let mut violations = query.build_query_as::<Violation>().fetch_all(pool).await?;
    let next = if violations.len() > limit as usize {
        violations.truncate(limit as usize);
        violations.last().map(Cursor::after)
    } else {
        None
    };
    Ok(Page { violations, next })
}

/// One face, for its thumbnail.
pub async fn face(
    pool: &PgPool,
    image_id: Uuid,
    face_index: i32,
) -> Result<Option<Violation>, sqlx::Error> {
    let mut query = QueryBuilder::<Postgres>::new(SELECT_FACES);
    query
        .push(" WHERE f.image_id = ")
        .push_bind(image_id)
        .push(" AND f.face_index = ")
        .push_bind(face_index);
    query.build_query_as().fetch_optional(pool).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_survive_a_round_trip_and_refuse_garbage() {
        let cursor = Cursor {
            observed_at: DateTime::from_timestamp_micros(1_767_225_600_123_456).unwrap(),
            image_id: Uuid::new_v4(),
            face_index: 7,
        };
        assert_eq!(cursor.to_string().parse::<Cursor>(), Ok(cursor));
        for garbage in ["", "1_2", "x_00000000000000000000000000000000_1", "1_2_3_4"] {
            assert!(garbage.parse::<Cursor>().is_err(), "{garbage}");
        }
    }
}
