//! Messages the broker gave up on (delivered too often without an
//! acknowledgement) arrive in the dead-letter queue; each is recorded as a
//! failed image with the reason it kept failing, so that no image stays
//! pending for ever.

use std::sync::Arc;

use futures_util::StreamExt;
use maskwatch_queue::lapin::Channel;
use maskwatch_queue::lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use maskwatch_queue::lapin::types::FieldTable;
use maskwatch_queue::{ImageJob, QueueError, QueueNames};
use maskwatch_store::{ImageOutcome, Recorded, Store};

use crate::metrics::WorkerMetrics;

pub struct DeadLetters {
    pub store: Store,
    pub names: QueueNames,
    pub metrics: Arc<WorkerMetrics>,
}

impl DeadLetters {
    /// Consumes the dead-letter queue on its own channel until the channel ends.
    pub async fn consume(self: Arc<Self>, channel: Channel) {
        if let Err(error) = self.consume_on(&channel).await {
            tracing::warn!(%error, "dead-letter consumer stopped");
        }
    }

    async fn consume_on(&self, channel: &Channel) -> Result<(), QueueError> {
        channel.basic_qos(8, BasicQosOptions::default()).await?;
        let mut consumer = channel
            .basic_consume(
                self.names.dead_images.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        while let Some(delivery) = consumer.next().await {
            let delivery = delivery?;
            if self.record(&delivery.data).await.is_ok() {
                delivery.acker.ack(BasicAckOptions::default()).await?;
            }
            // On a database error the message stays unacknowledged and
            // returns to the dead-letter queue when this channel closes.
        }
        Ok(())
    }

    async fn record(&self, body: &[u8]) -> Result<(), maskwatch_store::sqlx::Error> {
        let job = match ImageJob::from_bytes(body) {
            Ok(job) => job,
            Err(error) => {
                let reason = format!("dead-lettered message that is not a job: {error}");
                return self.store.record_rejected_message(&reason, body).await;
            }
        };
        let (attempts, last_error) = self.store.attempt_history(job.image_id).await?;
        let reason = format!(
            "gave up after {attempts} deliveries: {}",
            last_error
                .as_deref()
                .unwrap_or("a worker stopped while auditing it")
        );
        let outcome = ImageOutcome::Failed {
            image_id: job.image_id,
            reason,
        };
        if self.store.record(&outcome).await? == Recorded::Written {
            tracing::warn!(image_id = %job.image_id, key = %job.key, "image dead-lettered");
            self.metrics
                .images
                .with_label_values(&["dead_lettered"])
                .inc();
        }
        Ok(())
    }
}
