//! `GET /v1/stats`: compliance statistics, filtered and grouped.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maskwatch_service::ApiError;
use serde_json::{Map, Value, json};

use super::{AppState, Format, RawQuery, check_time_zone, requested_format};
use crate::csv::CsvTable;
use crate::filters::Filters;
use crate::stats::{GroupKey, Grouping, StatsRow};

pub async fn compliance(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiError> {
    let mut params = query.params()?;
    let filters = Filters::from_params(&mut params, state.store.pool()).await?;
    let grouping = Grouping::new(params.list("group_by")?).map_err(ApiError::bad_request)?;
    let format = requested_format(&mut params, &headers)?;
    params.finish()?;
    check_time_zone(&state.store, &filters.time_zone).await?;

    let (source, rows) = crate::stats::compliance(state.store.pool(), &filters, &grouping).await?;
    let rows: Vec<Value> = rows.iter().map(|row| row_json(row, &grouping)).collect();
    Ok(match format {
        Format::Json => Json(json!({
            "group_by": grouping.keys.iter().map(|k| key_name(*k)).collect::<Vec<_>>(),
            "time_zone": filters.time_zone,
            "source": source,
            "rows": rows,
        }))
        .into_response(),
        Format::Csv => CsvTable::of_json_rows(&columns(&grouping), &rows).into_response(),
    })
}

fn key_name(key: GroupKey) -> &'static str {
    match key {
        GroupKey::Camera => "camera",
        GroupKey::Site => "site",
        GroupKey::Audit => "audit",
        GroupKey::Hour => "hour",
        GroupKey::Day => "day",
        GroupKey::Week => "week",
    }
}

/// The key columns a grouping reports, in a fixed order.
fn key_columns(grouping: &Grouping) -> Vec<&'static str> {
    let mut columns = Vec::new();
    if grouping.has(GroupKey::Camera) {
        columns.extend(["camera_id", "camera"]);
    }
    if grouping.has(GroupKey::Camera) || grouping.has(GroupKey::Site) {
        columns.push("site");
    }
    if grouping.has(GroupKey::Audit) {
        columns.push("audit_id");
    }
    if grouping
        .keys
        .iter()
        .any(|k| matches!(k, GroupKey::Hour | GroupKey::Day | GroupKey::Week))
    {
        columns.push("period_start");
    }
    columns
}

const MEASURE_COLUMNS: [&str; 8] = [
    "images_done",
    "images_failed",
    "faces",
    "faces_no_mask",
    "faces_incorrect",
    "faces_correct",
    "compliance_rate",
    "mask_rate",
];

fn value_of(row: &StatsRow, column: &str) -> Value {
    match column {
        "camera_id" => json!(row.camera_id),
        "camera" => json!(row.camera),
        "site" => json!(row.site),
        "audit_id" => json!(row.audit_id),
        "period_start" => json!(row.period_start),
        "images_done" => json!(row.images_done),
        "images_failed" => json!(row.images_failed),
        "faces" => json!(row.faces()),
        "faces_no_mask" => json!(row.faces_no_mask),
        "faces_incorrect" => json!(row.faces_incorrect),
        "faces_correct" => json!(row.faces_correct),
        "compliance_rate" => json!(row.compliance_rate()),
        "mask_rate" => json!(row.mask_rate()),
        _ => Value::Null,
    }
}

fn columns(grouping: &Grouping) -> Vec<&'static str> {
    let mut columns = key_columns(grouping);
    columns.extend(MEASURE_COLUMNS);
    columns
}

fn row_json(row: &StatsRow, grouping: &Grouping) -> Value {
    let object: Map<String, Value> = columns(grouping)
        .into_iter()
        .map(|column| (column.to_owned(), value_of(row, column)))
        .collect();
    Value::Object(object)
}
