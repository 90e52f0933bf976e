//! `maskwatch-worker`: audits images from the work queue and writes the
//! results to PostgreSQL.

mod batch;
mod config;
mod consumer;
mod dead_letters;
mod fetch;
mod inference;
mod metrics;
mod readiness;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::Parser;
use maskwatch_objects::ObjectStore;
use maskwatch_pipeline::decode::DecodeLimits;
use maskwatch_queue::QueueNames;
use maskwatch_service::{Backoff, logging, serve_ops, shutdown};
use maskwatch_store::Store;
use tokio::sync::watch;

use crate::batch::BatchProcessor;
use crate::config::WorkerArgs;
use crate::consumer::ConsumerSettings;
use crate::dead_letters::DeadLetters;
use crate::fetch::Fetcher;
use crate::inference::Inference;
use crate::metrics::WorkerMetrics;
use crate::readiness::WorkerReadiness;

#[tokio::main]
async fn main() -> ExitCode {
    let args = WorkerArgs::parse();
    logging::init(args.service.log_format, "info");
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "worker failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let (request_shutdown, shutdown) = watch::channel(false);
    tokio::spawn(async move {
        shutdown::requested().await;
        let _ = request_shutdown.send(true);
    });

    let metrics = Arc::new(WorkerMetrics::new());
    let store = Store::connect_lazy(&args.service.database_url, 4).context("DATABASE_URL")?;
    let readiness = WorkerReadiness {
        models_loaded: Arc::new(AtomicBool::new(false)),
        broker_connected: Arc::new(AtomicBool::new(false)),
        store: store.clone(),
    };
    let ops = tokio::spawn(serve_ops(
        args.listen,
        readiness.clone(),
        metrics.registry.clone(),
        wait_for(shutdown.clone()),
    ));

    migrate(&store, &shutdown).await?;
    let engine = args.engine.clone();
    let pipeline = tokio::task::spawn_blocking(move || engine.load_pipeline())
        .await
        .context("loading the models")??;
    let model_set = pipeline.model_version();
    let manifest = read_manifest(&pipeline.model_set().directory)?;
    tracing::info!(
        model_set,
        provider = pipeline.provider().as_str(),
        "models loaded"
    );
    let mut backoff = Backoff::for_connections();
    while let Err(error) = store.register_model_set(&model_set, &manifest).await {
        tracing::warn!(%error, "could not record the model set; retrying");
        tokio::time::sleep(backoff.next_delay()).await;
    }
    readiness.models_loaded.store(true, Ordering::Release);

    let names = QueueNames::with_prefix(&args.service.queue_prefix);
    let processor = Arc::new(BatchProcessor {
        store: store.clone(),
        fetcher: Fetcher {
            objects: ObjectStore::connect(&args.objects).await,
            decode_limits: DecodeLimits::default(),
            retry_window: args.fetch_retry(),
        },
        inference: Inference::start(pipeline),
        metrics: Arc::clone(&metrics),
        worker_name: args.worker_name(),
        model_set,
        fetch_concurrency: args.fetch_concurrency,
        shutdown: shutdown.clone(),
    });
    let dead_letters = Arc::new(DeadLetters {
        store,
        names: names.clone(),
        metrics,
    });
    let settings = ConsumerSettings {
        amqp_url: args.service.amqp_url.clone(),
        names,
        prefetch: args.prefetch,
        batch_images: args.batch_images,
        batch_wait: args.batch_wait(),
    };
    consumer::run(
        settings,
        processor,
        dead_letters,
        readiness.broker_connected.clone(),
        shutdown,
    )
    .await;
    ops.abort();
    tracing::info!("worker stopped");
    Ok(())
}

/// Applies the schema, waiting for the database if it is not up yet.
async fn migrate(store: &Store, shutdown: &watch::Receiver<bool>) -> anyhow::Result<()> {
    let mut backoff = Backoff::for_connections();
    loop {
        match store.migrate().await {
            Ok(()) => return Ok(()),
            Err(error) if *shutdown.borrow() => {
                return Err(error).context("migrating the database");
            }
            Err(error) => {
                tracing::warn!(%error, "database not ready; retrying");
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
}

fn read_manifest(directory: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let path = directory.join("manifest.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

async fn wait_for(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}
