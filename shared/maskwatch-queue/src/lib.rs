//! The work queue between ingest and workers, on RabbitMQ.
//!
//! One durable quorum queue holds a message per image to audit. Messages are
//! persistent and published with confirms, so a job the ingest service
//! reported as queued survives a broker restart. A message that is returned to
//! the queue too often (a worker crashed on it, or it keeps failing) is moved
//! by the broker to a dead-letter queue, where the worker records it as failed.

mod error;
mod publisher;
mod topology;

pub use error::QueueError;
pub use lapin;
pub use maskwatch_wire::{ImageJob, MAX_MESSAGE_BYTES, MessageError};
pub use publisher::Publisher;
pub use topology::{DELIVERY_LIMIT, QueueNames, connect, declare_topology};
