//! `GET /v1/audits`, `GET /v1/audits/{id}` and `GET /v1/cameras`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use maskwatch_service::ApiError;
use uuid::Uuid;

use super::{AppState, RawQuery};
use crate::progress::{AuditRow, CameraRow};

const MAX_AUDITS: i64 = 1000;

pub async fn list(
    State(state): State<Arc<AppState>>,
    query: RawQuery,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    let mut params = query.params()?;
    let limit = params.one("limit")?.unwrap_or(20);
    params.finish()?;
    if !(1..=MAX_AUDITS).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_AUDITS}"
        )));
    }
    Ok(Json(
        crate::progress::latest_audits(state.store.pool(), limit).await?,
    ))
}

pub async fn one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<Uuid>,
) -> Result<Json<AuditRow>, ApiError> {
    crate::progress::audit(state.store.pool(), id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no audit {id}")))
}

pub async fn cameras(State(state): State<Arc<AppState>>) -> Result<Json<Vec<CameraRow>>, ApiError> {
    Ok(Json(crate::progress::cameras(state.store.pool()).await?))
}
