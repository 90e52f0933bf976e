//! The dashboard page and the OpenAPI document, both built into the binary:
//! the page draws its charts itself with no script from elsewhere, so it
//! works on a closed network.

use axum::http::header;
use axum::response::{Html, IntoResponse};

pub async fn dashboard() -> impl IntoResponse {
    Html(include_str!("../../assets/dashboard.html"))
}

pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../assets/openapi.json"),
    )
}
