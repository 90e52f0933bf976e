//! Turning an S3 prefix into one image per object, page by page.
//!
//! Each page is recorded before its jobs are published, and objects already
//! in the audit are skipped, so an interrupted listing is resumed by
//! submitting the same audit again, without duplicating work.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use maskwatch_service::Backoff;
use maskwatch_store::Audit;

use crate::api::AppState;

/// Attempts per page before the listing is left for a later resubmission.
const PAGE_ATTEMPTS: u32 = 8;

pub async fn list_audit(state: Arc<AppState>, audit: Audit) {
    match list_pages(&state, &audit).await {
        Ok(images) => tracing::info!(audit_id = %audit.id, images, "audit listed"),
        Err(error) => tracing::error!(
            audit_id = %audit.id,
            error = format!("{error:#}"),
            "listing stopped; submit the audit again to resume"
        ),
    }
}

async fn list_pages(state: &AppState, audit: &Audit) -> anyhow::Result<u64> {
    // Jobs recorded by an earlier, interrupted run but never confirmed.
    let earlier = state
        .store
        .unqueued_images_of_audit(audit.id, i64::MAX)
        .await?;
    state.queue.enqueue(&state.store, &earlier).await?;

    let mut continuation: Option<String> = None;
    let mut submitted = 0;
    loop {
        let token = &continuation;
        let page = with_retries("listing", || async move {
            Ok(state
                .objects
                .list_page(&audit.bucket, &audit.prefix, token.clone())
                .await?)
        })
        .await?;
        let objects: Vec<(String, Option<DateTime<Utc>>)> = page
            .objects
            .iter()
            .filter(|object| !object.key.ends_with('/'))
            .map(|object| {
                let modified = object
                    .last_modified
                    .and_then(|s| DateTime::from_timestamp(s, 0));
                (object.key.clone(), modified)
            })
            .collect();
        let objects = &objects;
        let images = with_retries("recording a page", || async move {
            Ok(state
                .store
                .add_listed_objects(audit.id, &audit.bucket, objects)
                .await?)
        })
        .await?;
        let images = &images;
        with_retries("publishing a page", || async move {
            state.queue.enqueue(&state.store, images).await
        })
        .await?;
        submitted += images.len() as u64;
        match page.next {
            Some(token) => continuation = Some(token),
            None => break,
        }
    }
    state.store.finish_listing(audit.id).await?;
    Ok(submitted)
}

async fn with_retries<T, Attempt>(what: &str, operation: impl Fn() -> Attempt) -> anyhow::Result<T>
where
    Attempt: Future<Output = anyhow::Result<T>>,
{
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    let mut attempt = 1;
    loop {
        match operation().await {
            Ok(value) => return Ok(value),
            Err(error) if attempt >= PAGE_ATTEMPTS => return Err(error),
            Err(error) => {
                tracing::warn!(
                    operation = what,
                    attempt,
                    error = format!("{error:#}"),
                    "retrying"
                );
                tokio::time::sleep(backoff.next_delay()).await;
                attempt += 1;
            }
        }
    }
}
