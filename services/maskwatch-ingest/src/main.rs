//! `maskwatch-ingest`: accepts audit requests and camera schedules, and
//! queues one job per image for the workers.

mod api;
mod camera_schedule;
mod config;
mod job_queue;
mod listing;
mod republisher;

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use maskwatch_objects::ObjectStore;
use maskwatch_queue::QueueNames;
use maskwatch_service::{Backoff, Readiness, logging, ops_router, shutdown};
use maskwatch_store::Store;

use crate::api::AppState;
use crate::config::IngestArgs;
use crate::job_queue::JobQueue;

#[tokio::main]
async fn main() -> ExitCode {
    let args = IngestArgs::parse();
    logging::init(args.service.log_format, "info");
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "ingest failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: IngestArgs) -> anyhow::Result<()> {
    let tokens = args.auth.load()?;
    let store = Store::connect_lazy(&args.service.database_url, 8).context("DATABASE_URL")?;
    let mut backoff = Backoff::for_connections();
    while let Err(error) = store.migrate().await {
        tracing::warn!(%error, "database not ready; retrying");
        tokio::time::sleep(backoff.next_delay()).await;
    }
    let queue = Arc::new(JobQueue::new(
        args.service.amqp_url.clone(),
        QueueNames::with_prefix(&args.service.queue_prefix),
    ));
    if let Err(error) = queue.ensure_connected().await {
        // Not fatal: requests are recorded and published once the broker is back.
        tracing::warn!(error = format!("{error:#}"), "RabbitMQ not reachable yet");
    }
    let state = Arc::new(AppState {
        store: store.clone(),
        objects: ObjectStore::connect(&args.objects).await,
        queue: Arc::clone(&queue),
    });

    let scheduler = tokio::spawn(camera_schedule::run(
        Arc::clone(&state),
        args.scheduler_tick(),
        Duration::from_secs(args.camera_catch_up_secs),
    ));
    let republisher = tokio::spawn(republisher::run(
        Arc::clone(&state),
        Duration::from_secs(args.republish_after_secs),
    ));

    let metrics = prometheus::Registry::new_custom(Some("maskwatch_ingest".into()), None)?;
    let app =
        api::router(state, tokens).merge(ops_router(IngestReadiness { store, queue }, metrics));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, "ingest API listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown::requested())
        .await?;
    scheduler.abort();
    republisher.abort();
    tracing::info!("ingest stopped");
    Ok(())
}

/// Ready when the database answers and the broker connection is up.
struct IngestReadiness {
    store: Store,
    queue: Arc<JobQueue>,
}

impl Readiness for IngestReadiness {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            self.store
                .ping()
                .await
                .map_err(|e| format!("PostgreSQL unreachable: {e}"))?;
            self.queue
                .ensure_connected()
                .await
                .map_err(|e| format!("RabbitMQ unreachable: {e:#}"))
        })
    }
}
