//! Publishing image jobs, reconnecting to RabbitMQ when needed.
//!
//! An image is marked queued only after the broker confirmed its job; what
//! could not be published stays unqueued and the republisher tries again.

use anyhow::Context;
use maskwatch_queue::{ImageJob, Publisher, QueueNames, connect, declare_topology};
use maskwatch_store::{ImageRef, Store};
use tokio::sync::Mutex;

/// Jobs published per confirm round trip.
const PUBLISH_CHUNK: usize = 500;

pub struct JobQueue {
    amqp_url: String,
    names: QueueNames,
    publisher: Mutex<Option<Publisher>>,
}

impl JobQueue {
    pub fn new(amqp_url: String, names: QueueNames) -> Self {
        Self {
            amqp_url,
            names,
            publisher: Mutex::new(None),
        }
    }

    /// Publishes the images' jobs and marks them queued.
    pub async fn enqueue(&self, store: &Store, images: &[ImageRef]) -> anyhow::Result<()> {
        for chunk in images.chunks(PUBLISH_CHUNK) {
            let jobs: Vec<ImageJob> = chunk
                .iter()
                .map(|image| ImageJob {
                    image_id: image.id,
                    bucket: image.bucket.clone(),
                    key: image.key.clone(),
                })
                .collect();
            self.publish(&jobs).await?;
            let ids: Vec<_> = chunk.iter().map(|image| image.id).collect();
            store
                .mark_queued(&ids)
                .await
                .context("marking images as queued")?;
        }
        Ok(())
    }

    /// Connects (or reconnects) and declares the topology, unless the channel
    /// is open: at start, so that the queues exist before the first request,
    /// and for readiness checks.
    pub async fn ensure_connected(&self) -> anyhow::Result<()> {
        let mut slot = self.publisher.lock().await;
        self.publisher_in(&mut slot).await.map(|_| ())
    }

    async fn publish(&self, jobs: &[ImageJob]) -> anyhow::Result<()> {
        let mut slot = self.publisher.lock().await;
        let publisher = self.publisher_in(&mut slot).await?;
        if let Err(error) = publisher.publish_all(jobs).await {
            // Drop the channel so the next call reconnects.
            *slot = None;
            return Err(error).context("publishing jobs");
        }
        Ok(())
    }

    async fn publisher_in<'a>(
        &self,
        slot: &'a mut Option<Publisher>,
    ) -> anyhow::Result<&'a Publisher> {
        if slot.as_ref().is_some_and(|p| !p.is_connected()) {
            *slot = None;
        }
        if slot.is_none() {
            let connection = connect(&self.amqp_url, "maskwatch-ingest")
                .await
                .context("connecting to RabbitMQ")?;
            let channel = connection.create_channel().await?;
            declare_topology(&channel, &self.names, 1)
                .await
                .context("declaring the queues")?;
            *slot = Some(Publisher::new(channel, self.names.clone()));
        }
        Ok(slot.as_ref().expect("set above"))
    }
}
