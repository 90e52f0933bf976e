//! The HTTP API: submit images, audits of S3 prefixes, and cameras.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use maskwatch_objects::{ObjectError, ObjectStore};
use maskwatch_store::{AuditProgress, NewCamera, Store};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::camera_schedule::validate_camera;
use crate::job_queue::JobQueue;
use crate::listing::list_audit;

/// Requests are small JSON documents; anything larger is refused unread.
const MAX_REQUEST_BYTES: usize = 64 * 1024;

pub struct AppState {
    pub store: Store,
    pub objects: ObjectStore,
    pub queue: Arc<JobQueue>,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/images", post(submit_image))
        .route("/v1/audits", post(submit_audit))
        .route("/v1/audits/{id}", get(audit_progress))
        .route("/v1/cameras", post(register_camera).get(list_cameras))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(state)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageRequest {
    bucket: String,
    key: String,
    name: Option<String>,
}

#[derive(Debug, Serialize)]
struct ImageAccepted {
    audit_id: Uuid,
    image_id: Uuid,
}

async fn submit_image(
    State(state): State<Arc<AppState>>,
    Json(request): Json<ImageRequest>,
) -> Result<(StatusCode, Json<ImageAccepted>), ApiError> {
    state.objects.check_bucket(&request.bucket)?;
    if request.key.is_empty() {
        return Err(ApiError::bad_request("key must not be empty"));
    }
    let (audit, image) = state
        .store
        .create_object_audit(&request.bucket, &request.key, request.name.as_deref())
        .await?;
    // Unconfirmed publications are retried by the republisher, so the
    // request succeeds once the image is recorded.
    if let Err(error) = state
        .queue
        .enqueue(&state.store, std::slice::from_ref(&image))
        .await
    {
        tracing::warn!(error = format!("{error:#}"), image_id = %image.id, "publication deferred");
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(ImageAccepted {
            audit_id: audit.id,
            image_id: image.id,
        }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditRequest {
    bucket: String,
    #[serde(default)]
    prefix: String,
    name: Option<String>,
}

#[derive(Debug, Serialize)]
struct AuditAccepted {
    audit_id: Uuid,
    /// Whether an audit of this prefix existed and is being resumed.
    resumed: bool,
}

async fn submit_audit(
    State(state): State<Arc<AppState>>,
    Json(request): Json<AuditRequest>,
) -> Result<(StatusCode, Json<AuditAccepted>), ApiError> {
    state.objects.check_bucket(&request.bucket)?;
    let (audit, resumed) = state
        .store
        .open_prefix_audit(&request.bucket, &request.prefix, request.name.as_deref())
        .await?;
    // Listing a large prefix takes a while; it runs on, and the caller
    // follows progress at /v1/audits/{id}.
    tokio::spawn(list_audit(Arc::clone(&state), audit.clone()));
    Ok((
        StatusCode::ACCEPTED,
        Json(AuditAccepted {
            audit_id: audit.id,
            resumed,
        }),
    ))
}

async fn audit_progress(
    State(state): State<Arc<AppState>>,
    Path(id): Path<Uuid>,
) -> Result<Json<AuditProgress>, ApiError> {
    state
        .store
        .audit_progress(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no audit {id}")))
}

async fn register_camera(
    State(state): State<Arc<AppState>>,
    Json(camera): Json<NewCamera>,
) -> Result<(StatusCode, Json<maskwatch_store::Camera>), ApiError> {
    state.objects.check_bucket(&camera.bucket)?;
    validate_camera(&camera).map_err(ApiError::bad_request)?;
    let camera = state.store.upsert_camera(&camera).await?;
    Ok((StatusCode::CREATED, Json(camera)))
}

async fn list_cameras(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<maskwatch_store::Camera>>, ApiError> {
    Ok(Json(state.store.enabled_cameras().await?))
}

/// An error answered as `{"error": "..."}` with a status that says whose fault it is.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<ObjectError> for ApiError {
    fn from(error: ObjectError) -> Self {
        let status = match error {
            ObjectError::BucketNotAllowed(_) => StatusCode::FORBIDDEN,
            ObjectError::NotFound { .. } => StatusCode::NOT_FOUND,
            ObjectError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ObjectError::TooLarge { .. } | ObjectError::Refused(_) => StatusCode::BAD_REQUEST,
        };
        Self::new(status, error.to_string())
    }
}

impl From<maskwatch_store::sqlx::Error> for ApiError {
    fn from(error: maskwatch_store::sqlx::Error) -> Self {
        tracing::error!(%error, "database error");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is unavailable; try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body {
            error: String,
        }
        (
            self.status,
            Json(Body {
                error: self.message,
            }),
        )
            .into_response()
    }
}
