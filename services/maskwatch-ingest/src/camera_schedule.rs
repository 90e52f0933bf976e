//! Scheduled camera snapshots. Every ingest replica runs the scheduler; the
//! database decides which replica takes each snapshot (one image row per
//! camera and scheduled time), so each is queued exactly once however many
//! replicas run.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Utc};
use croner::Cron;
use maskwatch_store::{Camera, NewCamera};
use uuid::Uuid;

use crate::api::AppState;

/// Checks what a camera registration needs before it is stored.
pub fn validate_camera(camera: &NewCamera) -> Result<(), String> {
    if camera.name.trim().is_empty() || camera.site.trim().is_empty() {
        return Err("name and site must not be empty".into());
    }
    Cron::from_str(&camera.schedule).map_err(|e| {
        format!(
            "schedule {:?} is not a cron expression: {e}",
            camera.schedule
        )
    })?;
    if camera.key_template.is_empty()
        || StrftimeItems::new(&camera.key_template).any(|item| matches!(item, Item::Error))
    {
        return Err(format!(
            "key_template {:?} is not a valid object key template",
            camera.key_template
        ));
    }
    Ok(())
}

/// Claims and queues every due snapshot, once per `tick`, until the task is
/// stopped.
pub async fn run(state: Arc<AppState>, tick: Duration, catch_up: Duration) {
    let started = Utc::now() - chrono::Duration::from_std(catch_up).unwrap_or_default();
    let mut last_checked: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let now = Utc::now();
        let cameras = match state.store.enabled_cameras().await {
            Ok(cameras) => cameras,
            Err(error) => {
                tracing::warn!(%error, "cannot read cameras");
                continue;
            }
        };
        for camera in cameras {
            let since = *last_checked.get(&camera.id).unwrap_or(&started);
            match take_due_snapshots(&state, &camera, since, now).await {
                Ok(()) => {
                    last_checked.insert(camera.id, now);
                }
                Err(error) => tracing::warn!(
                    camera = %camera.name,
                    error = format!("{error:#}"),
                    "snapshots deferred to the next tick"
                ),
            }
        }
    }
}

/// Claims the snapshots scheduled in `(since, now]`; queues those this
/// replica won. A claimed snapshot whose publication fails stays unqueued
/// and is published by the republisher.
async fn take_due_snapshots(
    state: &AppState,
    camera: &Camera,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let cron = Cron::from_str(&camera.schedule)?;
    for scheduled in cron.iter_after(since) {
        if scheduled > now {
            break;
        }
        let key = scheduled.format(&camera.key_template).to_string();
        if let Some(image) = state.store.claim_snapshot(camera, scheduled, &key).await? {
            tracing::info!(camera = %camera.name, %scheduled, key, "snapshot claimed");
            if let Err(error) = state.queue.enqueue(&state.store, &[image]).await {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "snapshot publication deferred"
                );
            }
        }
    }
    Ok(())
}
