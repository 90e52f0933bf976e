//! What a worker writes: an image's faces, or why it has none.

use maskwatch_domain::FaceFinding;
use uuid::Uuid;

use crate::Store;

/// The faces of one image and how they were obtained.
#[derive(Debug, Clone)]
pub struct ImageResult {
    pub image_id: Uuid,
    pub content_sha256: String,
    pub width: u32,
    pub height: u32,
    pub model_set: String,
    pub worker: String,
    pub fetch_ms: f32,
    pub inference_ms: f32,
    pub faces: Vec<FaceFinding>,
}

/// How an image ends.
#[derive(Debug, Clone)]
pub enum ImageOutcome {
    Audited(ImageResult),
    Failed { image_id: Uuid, reason: String },
}

/// Whether a write changed the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Written,
    /// The image had already ended (a duplicate delivery); nothing was written.
    AlreadyFinal,
}

impl Store {
    /// Counts a delivery of each image that is still pending; returns the ids
    /// that are (those that ended already need no work).
    pub async fn start_attempts(
        &self,
        ids: &[Uuid],
        worker: &str,
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        sqlx::query_scalar(
            "UPDATE images SET attempts = attempts + 1, worker = $2
             WHERE id = ANY($1) AND status = 'pending' RETURNING id",
        )
        .bind(ids)
        .bind(worker)
        .fetch_all(self.pool())
        .await
    }

    /// Writes how one image ended, in one transaction: either all of it or
    /// nothing, and nothing at all if the image ended before.
    pub async fn record(&self, outcome: &ImageOutcome) -> Result<Recorded, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let recorded = match outcome {
            ImageOutcome::Audited(result) => write_result(&mut tx, result).await?,
            ImageOutcome::Failed { image_id, reason } => {
                let updated = sqlx::query(
                    "UPDATE images SET status = 'failed', failure_reason = $2, finished_at = now()
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind(image_id)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 1 {
                    Recorded::Written
                } else {
                    Recorded::AlreadyFinal
                }
            }
        };
        tx.commit().await?;
        Ok(recorded)
    }

    /// Notes an error that may pass, so that a message that finally goes to
    /// the dead-letter queue is recorded with the reason it kept failing.
    pub async fn note_transient_error(
        &self,
        image_id: Uuid,
        error: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE images SET last_error = $2 WHERE id = $1 AND status = 'pending'")
            .bind(image_id)
            .bind(error)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How often an image was attempted, and the last transient error noted.
    pub async fn attempt_history(
        &self,
        image_id: Uuid,
    ) -> Result<(i32, Option<String>), sqlx::Error> {
        let row: Option<(i32, Option<String>)> =
            sqlx::query_as("SELECT attempts, last_error FROM images WHERE id = $1")
                .bind(image_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.unwrap_or((0, None)))
    }

    /// Keeps the start of a message that was not a job, with the reason.
    pub async fn record_rejected_message(
        &self,
        reason: &str,
        body: &[u8],
    ) -> Result<(), sqlx::Error> {
        const KEPT_BYTES: usize = 1024;
        sqlx::query("INSERT INTO rejected_messages (reason, body_prefix) VALUES ($1, $2)")
            .bind(reason)
            .bind(&body[..body.len().min(KEPT_BYTES)])
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

async fn write_result(
    tx: &mut sqlx::PgConnection,
    result: &ImageResult,
) -> Result<Recorded, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE images SET status = 'done', content_sha256 = $2, width = $3, height = $4,
             model_set = $5, worker = $6, fetch_ms = $7, inference_ms = $8, finished_at = now()
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(result.image_id)
    .bind(&result.content_sha256)
    .bind(result.width as i32)
    .bind(result.height as i32)
    .bind(&result.model_set)
    .bind(&result.worker)
    .bind(result.fetch_ms)
    .bind(result.inference_ms)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(Recorded::AlreadyFinal);
    }
    if result.faces.is_empty() {
        return Ok(Recorded::Written);
    }
    let columns = FaceColumns::from(&result.faces);
    sqlx::query(
        "INSERT INTO faces (image_id, face_index, x_min, y_min, x_max, y_max, detection_score,
             landmarks, condition, p_no_mask, p_incorrect, p_correct, super_resolved)
         SELECT $1, t.idx, t.x0, t.y0, t.x1, t.y1, t.score,
                CASE WHEN l.lm[1] = 'NaN'::real THEN NULL ELSE l.lm END,
                t.cond, t.p0, t.p1, t.p2, t.sr
         FROM UNNEST($2::int[], $3::real[], $4::real[], $5::real[], $6::real[], $7::real[],
                     $8::text[], $9::real[], $10::real[], $11::real[], $12::bool[])
              WITH ORDINALITY AS t(idx, x0, y0, x1, y1, score, cond, p0, p1, p2, sr, n),
              LATERAL (SELECT ($13::real[])[(t.n - 1) * 10 + 1 : t.n * 10] AS lm) l",
    )
    .bind(result.image_id)
    .bind(&columns.index)
    .bind(&columns.x_min)
    .bind(&columns.y_min)
    .bind(&columns.x_max)
    .bind(&columns.y_max)
    .bind(&columns.score)
    .bind(&columns.condition)
    .bind(&columns.p_no_mask)
    .bind(&columns.p_incorrect)
    .bind(&columns.p_correct)
    .bind(&columns.super_resolved)
    .bind(&columns.landmarks)
    .execute(&mut *tx)
    .await?;
    Ok(Recorded::Written)
}

/// The faces of one image as columns, for one multi-row insert.
#[derive(Default)]
struct FaceColumns {
    index: Vec<i32>,
    x_min: Vec<f32>,
    y_min: Vec<f32>,
    x_max: Vec<f32>,
    y_max: Vec<f32>,
    score: Vec<f32>,
    condition: Vec<&'static str>,
    p_no_mask: Vec<f32>,
    p_incorrect: Vec<f32>,
    p_correct: Vec<f32>,
    super_resolved: Vec<bool>,
    /// Ten values per face (five x, y points), NaN where a face has none.
    landmarks: Vec<f32>,
}

impl From<&Vec<FaceFinding>> for FaceColumns {
    fn from(faces: &Vec<FaceFinding>) -> Self {
        let mut columns = FaceColumns::default();
        for (index, face) in faces.iter().enumerate() {
            columns.index.push(index as i32);
            columns.x_min.push(face.bbox.x_min);
            columns.y_min.push(face.bbox.y_min);
            columns.x_max.push(face.bbox.x_max);
            columns.y_max.push(face.bbox.y_max);
            columns.score.push(face.detection_score);
            columns.condition.push(face.condition.as_str());
            columns.p_no_mask.push(face.probabilities.no_mask);
            columns.p_incorrect.push(face.probabilities.incorrect);
            columns.p_correct.push(face.probabilities.correct);
            columns.super_resolved.push(face.super_resolved);
            match &face.landmarks {
                Some(points) => columns.landmarks.extend(points.0.iter().flatten()),
                None => columns.landmarks.extend([f32::NAN; 10]),
            }
        }
        columns
    }
}
