//! The HTTP API: every data route needs a token with the `read` scope; the
//! dashboard page and the OpenAPI document are public (they hold no data).

mod audits;
mod pages;
mod stats;
mod thumbnails;
mod violations;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, header};
use axum::routing::get;
use axum::{Router, middleware};
use maskwatch_objects::ObjectStore;
use maskwatch_service::{ApiError, RequireScope, Scope, Tokens, require_scope};
use maskwatch_store::Store;

use maskwatch_wire::QueryParams;

pub struct AppState {
    pub store: Store,
    pub objects: ObjectStore,
}

pub fn router(state: Arc<AppState>, tokens: Arc<Tokens>) -> Router {
    let data = Router::new()
        .route("/v1/stats", get(stats::compliance))
        .route("/v1/violations", get(violations::list))
        .route(
            "/v1/faces/{image_id}/{face_index}/thumbnail",
            get(thumbnails::face),
        )
        .route("/v1/audits", get(audits::list))
        .route("/v1/audits/{id}", get(audits::one))
        .route("/v1/cameras", get(audits::cameras))
        .route_layer(middleware::from_fn_with_state(
            RequireScope {
                tokens,
                scope: Scope::Read,
            },
            require_scope,
        ));
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/openapi.json", get(pages::openapi))
        .merge(data)
        // Every request is a GET; a body is never read.
        .layer(DefaultBodyLimit::max(0))
        .with_state(state)
}

/// How a report is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

impl std::str::FromStr for Format {
    type Err = &'static str;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            _ => Err("expected json or csv"),
        }
    }
}

/// `format=` wins; otherwise CSV when the client accepts it before JSON.
fn requested_format(params: &mut QueryParams, headers: &HeaderMap) -> Result<Format, ApiError> {
    if let Some(format) = params.one("format")? {
        return Ok(format);
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    Ok(if accept.starts_with("text/csv") {
        Format::Csv
    } else {
        Format::Json
    })
}

/// The query string as sent; [`QueryParams`] reads it strictly.
struct RawQuery(axum::extract::RawQuery);

impl RawQuery {
    fn params(&self) -> Result<QueryParams, ApiError> {
        Ok(QueryParams::parse(self.0.0.as_deref().unwrap_or(""))?)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RawQuery {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::RawQuery::from_request_parts(parts, state)
            .await
            .map(Self)
    }
}

/// Checks the time-zone name with PostgreSQL, which interprets it (its
/// catalogue of names is slow to list, so a conversion is tried instead).
async fn check_time_zone(store: &Store, name: &str) -> Result<(), ApiError> {
    if name == "UTC" {
        return Ok(());
    }
    let conversion = maskwatch_store::sqlx::query("SELECT now() AT TIME ZONE $1")
        .bind(name)
        .execute(store.pool())
        .await;
    match conversion {
        Ok(_) => Ok(()),
        Err(maskwatch_store::sqlx::Error::Database(error))
            if error.code().as_deref() == Some(INVALID_PARAMETER_VALUE) =>
        {
            Err(ApiError::bad_request(format!(
                "tz: unknown time zone {name:?}"
            )))
        }
        Err(error) => Err(error.into()),
    }
}

/// PostgreSQL's SQLSTATE for a time zone it does not know.
const INVALID_PARAMETER_VALUE: &str = "22023";
