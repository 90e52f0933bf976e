use thiserror::Error;

#[derive(Debug, Error)]
pub enum QueueError {
    #[error("RabbitMQ: {0}")]
    Broker(#[from] lapin::Error),
    #[error("the broker refused message {message_id} (negative publisher confirm)")]
    Refused { message_id: String },
    #[error("the broker ended the consumer")]
    ConsumerClosed,
}
