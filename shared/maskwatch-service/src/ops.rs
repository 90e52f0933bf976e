//! The operations endpoints every service serves: `/healthz` (the process is
//! alive), `/readyz` (it can do its work now) and `/metrics` (Prometheus).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus::{Encoder, Registry, TextEncoder};

/// Answers whether the service is ready, and if not, why.
pub trait Readiness: Send + Sync + 'static {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
}

struct OpsState {
    readiness: Box<dyn Readiness>,
    registry: Registry,
}

/// The operations routes, to serve alone ([`serve_ops`]) or merged into a
/// service's own router.
pub fn ops_router(readiness: impl Readiness, registry: Registry) -> Router {
    let state = Arc::new(OpsState {
        readiness: Box::new(readiness),
        registry,
    });
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serves the operations routes on `addr` until `shutdown` resolves.
pub async fn serve_ops(
    addr: SocketAddr,
    readiness: impl Readiness,
    registry: Registry,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(address = %listener.local_addr()?, "operations endpoints listening");
    axum::serve(listener, ops_router(readiness, registry))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

async fn ready(State(state): State<Arc<OpsState>>) -> impl IntoResponse {
    match state.readiness.check().await {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        ),
    }
}

async fn metrics(State(state): State<Arc<OpsState>>) -> impl IntoResponse {
    let mut body = Vec::new();
    let encoder = TextEncoder::new();
    match encoder.encode(&state.registry.gather(), &mut body) {
        Ok(()) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, encoder.format_type().to_owned())],
            body,
        ),
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain".to_owned())],
            error.to_string().into_bytes(),
        ),
    }
}
