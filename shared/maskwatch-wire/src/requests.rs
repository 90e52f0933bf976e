//! The JSON bodies of the ingest API's submissions. Unknown fields are
//! refused, so a misspelt option is an error rather than silently ignored.

use serde::Deserialize;

/// `POST /v1/images`: audit one object.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRequest {
    pub bucket: String,
    pub key: String,
    pub name: Option<String>,
}

/// `POST /v1/audits`: audit everything under a prefix (all of the bucket
/// when the prefix is empty).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRequest {
    pub bucket: String,
    #[serde(default)]
    pub prefix: String,
    pub name: Option<String>,
}
