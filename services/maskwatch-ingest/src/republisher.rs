//! Publishes again the images whose jobs were never confirmed by the broker
//! (the broker was away, or a replica stopped between recording and
//! publishing). A job published twice is harmless: the worker writes each
//! image's outcome once.

use std::sync::Arc;
use std::time::Duration;

use crate::api::AppState;

const BATCH: i64 = 1000;

pub async fn run(state: Arc<AppState>, after: Duration) {
    let mut interval = tokio::time::interval(after.max(Duration::from_secs(1)) / 2);
    loop {
        interval.tick().await;
        let cutoff = chrono::Utc::now() - chrono::Duration::from_std(after).unwrap_or_default();
        match state.store.unqueued_images(cutoff, BATCH).await {
            Ok(images) if images.is_empty() => {}
            Ok(images) => match state.queue.enqueue(&state.store, &images).await {
                Ok(()) => tracing::info!(images = images.len(), "republished unconfirmed jobs"),
                Err(error) => tracing::warn!(error = format!("{error:#}"), "republishing failed"),
            },
            Err(error) => tracing::warn!(%error, "cannot read unqueued images"),
        }
    }
}
