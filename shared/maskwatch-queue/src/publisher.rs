//! Publishing jobs with confirms: a job is queued only when the broker says so.

use lapin::Confirmation;
use lapin::options::BasicPublishOptions;
use lapin::{BasicProperties, Channel};

use crate::{ImageJob, QueueError, QueueNames};

/// Persistent delivery mode: the broker writes the message to disk.
const PERSISTENT: u8 = 2;

#[derive(Clone)]
pub struct Publisher {
    channel: Channel,
    names: QueueNames,
}

impl Publisher {
    /// `channel` must have had [`crate::declare_topology`] run on it.
    pub fn new(channel: Channel, names: QueueNames) -> Self {
        Self { channel, names }
    }

    /// Publishes all jobs, pipelined, and returns once the broker has
    /// confirmed every one; an error means some may not be queued, and the
    /// caller keeps them marked as unqueued so they are published again.
    pub async fn publish_all(&self, jobs: &[ImageJob]) -> Result<(), QueueError> {
        let mut confirms = Vec::with_capacity(jobs.len());
        for job in jobs {
            let message_id = job.image_id.to_string();
            let properties = BasicProperties::default()
                .with_delivery_mode(PERSISTENT)
                .with_content_type("application/json".into())
                .with_message_id(message_id.as_str().into())
                .with_timestamp(unix_seconds());
            let confirm = self
                .channel
                .basic_publish(
                    self.names.jobs_exchange.as_str().into(),
                    self.names.images.as_str().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..Default::default()
                    },
                    &job.to_bytes(),
                    properties,
                )
                .await?;
            confirms.push(async move { (message_id, confirm.await) });
        }
        for (message_id, confirmation) in futures_util::future::join_all(confirms).await {
            match confirmation? {
                Confirmation::Ack(None) | Confirmation::NotRequested => {}
                Confirmation::Ack(Some(_)) | Confirmation::Nack(_) => {
                    return Err(QueueError::Refused { message_id });
                }
            }
        }
        Ok(())
    }

    pub fn is_connected(&self) -> bool {
        self.channel.status().connected()
    }
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
