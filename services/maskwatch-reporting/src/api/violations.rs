//! `GET /v1/violations`: faces without a mask or with a mask worn
//! incorrectly, newest first, paged by cursor.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maskwatch_service::ApiError;
use serde_json::{Value, json};

use super::{AppState, Format, RawQuery, requested_format};
use crate::csv::CsvTable;
use crate::filters::Filters;
use crate::violations::{Cursor, ViolationKind};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 1000;

const COLUMNS: [&str; 16] = [
    "image_id",
    "face_index",
    "observed_at",
    "camera",
    "site",
    "audit_id",
    "bucket",
    "object_key",
    "condition",
    "confidence",
    "detection_score",
    "x_min",
    "y_min",
    "x_max",
    "y_max",
    "thumbnail",
];

pub async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiError> {
    let mut params = query.params()?;
    let filters = Filters::from_params(&mut params, state.store.pool()).await?;
    let kinds: Vec<ViolationKind> = params.list("condition")?;
    let after: Option<Cursor> = params.one("after")?;
    let limit = params.one("limit")?.unwrap_or(DEFAULT_PAGE);
    let format = requested_format(&mut params, &headers)?;
    params.finish()?;
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }

    let page = crate::violations::list(state.store.pool(), &filters, &kinds, after.as_ref(), limit)
        .await?;
    let rows: Vec<Value> = page
        .violations
        .iter()
        .map(|violation| {
            let mut row = serde_json::to_value(violation).unwrap_or(Value::Null);
            row["thumbnail"] = json!(format!(
                "/v1/faces/{}/{}/thumbnail",
                violation.image_id, violation.face_index
            ));
            row
        })
        .collect();
    let next = page.next.map(|cursor| cursor.to_string());
    Ok(match format {
        Format::Json => Json(json!({ "violations": rows, "next": next })).into_response(),
        Format::Csv => {
            let mut response = CsvTable::of_json_rows(&COLUMNS, &rows).into_response();
            // The cursor of the next page travels in a header beside the table.
            if let Some(next) = next.and_then(|n| n.parse().ok()) {
                response.headers_mut().insert("x-next-cursor", next);
            }
            response
        }
    })
}
