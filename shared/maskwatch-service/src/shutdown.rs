//! The signal that tells a service to stop taking work.

use tokio::signal::unix::{SignalKind, signal};

/// Resolves on the first SIGTERM (what Kubernetes and Compose send) or
/// SIGINT (Ctrl-C).
pub async fn requested() {
    let mut terminate = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
    let mut interrupt = signal(SignalKind::interrupt()).expect("installing a SIGINT handler");
    tokio::select! {
        _ = terminate.recv() => tracing::info!(signal = "SIGTERM", "shutdown requested"),
        _ = interrupt.recv() => tracing::info!(signal = "SIGINT", "shutdown requested"),
    }
}
