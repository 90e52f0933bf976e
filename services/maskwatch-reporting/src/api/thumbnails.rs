//! `GET /v1/faces/{image_id}/{face_index}/thumbnail`: the face, cut from its
//! photo in S3, as a JPEG.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maskwatch_service::ApiError;
use uuid::Uuid;

use super::AppState;
use crate::thumbnail::{FaceBox, face_thumbnail};

pub async fn face(
    State(state): State<Arc<AppState>>,
    Path((image_id, face_index)): Path<(Uuid, i32)>,
) -> Result<Response, ApiError> {
    let face = crate::violations::face(state.store.pool(), image_id, face_index)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no face {face_index} in image {image_id}")))?;
    let photo = state.objects.get(&face.bucket, &face.object_key).await?;
    let face_box = FaceBox {
        x_min: face.x_min,
        y_min: face.y_min,
        x_max: face.x_max,
        y_max: face.y_max,
    };
    let jpeg = tokio::task::spawn_blocking(move || face_thumbnail(&photo, face_box))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "thumbnail task failed"))?
        .map_err(|error| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the photo can no longer be read: {error}"),
            )
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            // A face's photo and box never change.
            (header::CACHE_CONTROL, "private, max-age=86400, immutable"),
        ],
        jpeg,
    )
        .into_response())
}
