//! The connection to RabbitMQ: consume, gather batches, hand them over, and
//! reconnect with backoff whenever the connection is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use maskwatch_queue::lapin::Consumer;
use maskwatch_queue::lapin::message::Delivery;
use maskwatch_queue::lapin::options::{BasicCancelOptions, BasicConsumeOptions};
use maskwatch_queue::lapin::types::FieldTable;
use maskwatch_queue::{QueueError, QueueNames, connect, declare_topology};
use maskwatch_service::Backoff;
use tokio::sync::watch;

use crate::batch::BatchProcessor;
use crate::dead_letters::DeadLetters;

pub struct ConsumerSettings {
    pub amqp_url: String,
    pub names: QueueNames,
    pub prefetch: u16,
    pub batch_images: usize,
    pub batch_wait: Duration,
}

/// Consumes until shutdown is requested, reconnecting after every loss.
pub async fn run(
    settings: ConsumerSettings,
    processor: Arc<BatchProcessor>,
    dead_letters: Arc<DeadLetters>,
    connected: Arc<AtomicBool>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::for_connections();
    while !*shutdown.borrow() {
        let session = consume(
            &settings,
            &processor,
            &dead_letters,
            &connected,
            &mut backoff,
            shutdown.clone(),
        );
        match session.await {
            Ok(()) => break,
            Err(error) => {
                connected.store(false, Ordering::Release);
                processor
                    .metrics
                    .transient_errors
                    .with_label_values(&["broker"])
                    .inc();
                let delay = backoff.next_delay();
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "lost RabbitMQ");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
    connected.store(false, Ordering::Release);
}

/// One connection's life: returns `Ok` after a requested shutdown, `Err`
/// when the connection is lost.
async fn consume(
    settings: &ConsumerSettings,
    processor: &BatchProcessor,
    dead_letters: &Arc<DeadLetters>,
    connected: &AtomicBool,
    backoff: &mut Backoff,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), QueueError> {
    let connection = connect(&settings.amqp_url, "maskwatch-worker").await?;
    let channel = connection.create_channel().await?;
    declare_topology(&channel, &settings.names, settings.prefetch).await?;
    let mut consumer = channel
        .basic_consume(
            settings.names.images.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let dead_letter_channel = connection.create_channel().await?;
    let dead_letter_task = tokio::spawn(Arc::clone(dead_letters).consume(dead_letter_channel));
    connected.store(true, Ordering::Release);
    backoff.reset();
    tracing::info!(queue = %settings.names.images, prefetch = settings.prefetch, "consuming");

    let outcome = loop {
        let batch = tokio::select! {
            biased;
            _ = shutdown.changed() => break Ok(()),
            batch = gather(&mut consumer, settings.batch_images, settings.batch_wait) => batch,
        };
        match batch {
            Ok(deliveries) => processor.process(deliveries).await,
            Err(error) => break Err(error),
        }
        if *shutdown.borrow() {
            break Ok(());
        }
    };
    dead_letter_task.abort();
    if outcome.is_ok() {
        // Stop deliveries, then close: messages prefetched but not started
        // go back to the queue for other workers.
        let _ = channel
            .basic_cancel(consumer.tag(), BasicCancelOptions::default())
            .await;
        let _ = channel.close(200, "worker shutting down".into()).await;
        let _ = connection.close(200, "worker shutting down".into()).await;
        tracing::info!("stopped consuming; unstarted messages returned to the queue");
    }
    outcome
}

/// Waits for one delivery, then takes what else arrives within `wait`, up
/// to `max` deliveries.
async fn gather(
    consumer: &mut Consumer,
    max: usize,
    wait: Duration,
) -> Result<Vec<Delivery>, QueueError> {
    let first = next(consumer).await?;
    let mut batch = vec![first];
    let deadline = tokio::time::Instant::now() + wait;
    while batch.len() < max.max(1) {
        match tokio::time::timeout_at(deadline, next(consumer)).await {
            Ok(delivery) => batch.push(delivery?),
            Err(_elapsed) => break,
        }
    }
    Ok(batch)
}

async fn next(consumer: &mut Consumer) -> Result<Delivery, QueueError> {
    match consumer.next().await {
        Some(Ok(delivery)) => Ok(delivery),
        Some(Err(error)) => Err(error.into()),
        None => Err(QueueError::ConsumerClosed),
    }
}
