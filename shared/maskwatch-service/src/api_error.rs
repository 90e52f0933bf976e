//! The error every HTTP API answers with: `{"error": "..."}` and a status
//! that says whose fault it is.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maskwatch_objects::ObjectError;
use maskwatch_wire::BadParameter;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn status(&self) -> StatusCode {
        self.status
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

/// A malformed query string is the client's to fix: 400 with the reason.
impl From<BadParameter> for ApiError {
    fn from(error: BadParameter) -> Self {
        Self::bad_request(error.0)
    }
}

/// Database errors are logged here and answered without details, which
/// could reveal the schema or the query.
impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database error");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is unavailable; try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}
