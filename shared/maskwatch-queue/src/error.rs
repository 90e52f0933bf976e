use thiserror::Error;

#[derive(Debug, Error)]
pub enum QueueError {
    #[error("RabbitMQ: {0}")]
    Broker(#[from] lapin::Error),
    #[error("the broker refused message {message_id} (negative publisher confirm)")]
    Refused { message_id: String },
    #[error("message of {size} bytes is over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("the broker ended the consumer")]
    ConsumerClosed,
    #[error("malformed job message: {0}")]
    Malformed(String),
}
