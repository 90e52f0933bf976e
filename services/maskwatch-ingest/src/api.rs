//! The HTTP API: submit images, audits of S3 prefixes, and cameras.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use maskwatch_objects::ObjectStore;
use maskwatch_service::{ApiError, RequireScope, Scope, Tokens, require_scope};
use maskwatch_store::{AuditProgress, NewCamera, Store};
use maskwatch_wire::{AuditRequest, ImageRequest};
use serde::Serialize;
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

/// Submitting needs a token with the `submit` scope, reading one with `read`.
pub fn router(state: Arc<AppState>, tokens: Arc<Tokens>) -> Router {
    let scope = |scope| {
        middleware::from_fn_with_state(
            RequireScope {
                tokens: Arc::clone(&tokens),
                scope,
            },
            require_scope,
        )
    };
    let submit = Router::new()
        .route("/v1/images", post(submit_image))
        .route("/v1/audits", post(submit_audit))
        .route("/v1/cameras", post(register_camera))
        .route_layer(scope(Scope::Submit));
    let read = Router::new()
        .route("/v1/audits/{id}", get(audit_progress))
        .route("/v1/cameras", get(list_cameras))
        .route_layer(scope(Scope::Read));
    submit
        .merge(read)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(state)
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
        .ok_or_else(|| ApiError::not_found(format!("no audit {id}")))
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
