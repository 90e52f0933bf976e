//! Exchanges and queues, declared by every service at start. Declaring is
//! idempotent: the same arguments leave existing queues and their messages
//! alone.

use lapin::options::{
    BasicQosOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};

use crate::QueueError;

/// Deliveries of one message before the broker dead-letters it: enough for a
/// worker crash or two and a retry, few enough that a poison message stops
/// circulating.
pub const DELIVERY_LIMIT: i64 = 5;

/// Names of the exchanges and queues, all under one prefix so that several
/// deployments (or test runs) can share a broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueNames {
    pub jobs_exchange: String,
    pub images: String,
    pub dead_exchange: String,
    pub dead_images: String,
}

impl QueueNames {
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            jobs_exchange: format!("{prefix}.jobs"),
            images: format!("{prefix}.images"),
            dead_exchange: format!("{prefix}.dead"),
            dead_images: format!("{prefix}.images.dead"),
        }
    }
}

/// Opens a connection named after the service, visible in the broker's UI.
pub async fn connect(url: &str, service: &str) -> Result<Connection, QueueError> {
    let properties = ConnectionProperties::default().with_connection_name(service.into());
    Ok(Connection::connect(url, properties).await?)
}

/// Declares the topology on `channel`, and switches the channel to publisher
/// confirms and the given prefetch.
pub async fn declare_topology(
    channel: &Channel,
    names: &QueueNames,
    prefetch: u16,
) -> Result<(), QueueError> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    channel
        .exchange_declare(
            names.jobs_exchange.as_str().into(),
            ExchangeKind::Direct,
            durable,
            FieldTable::default(),
        )
        .await?;
    channel
        .exchange_declare(
            names.dead_exchange.as_str().into(),
            ExchangeKind::Fanout,
            durable,
            FieldTable::default(),
        )
        .await?;

    let mut work = quorum_arguments();
    work.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(DELIVERY_LIMIT),
    );
    work.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(names.dead_exchange.as_str().into()),
    );
    // At-least-once dead-lettering keeps a message until the dead-letter
    // queue has confirmed it; the broker requires reject-publish overflow for it.
    work.insert(
        "x-dead-letter-strategy".into(),
        AMQPValue::LongString("at-least-once".into()),
    );
    work.insert(
        "x-overflow".into(),
        AMQPValue::LongString("reject-publish".into()),
    );
    declare_queue(channel, &names.images, work).await?;
    declare_queue(channel, &names.dead_images, quorum_arguments()).await?;

    channel
        .queue_bind(
            names.images.as_str().into(),
            names.jobs_exchange.as_str().into(),
            names.images.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_bind(
            names.dead_images.as_str().into(),
            names.dead_exchange.as_str().into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    Ok(())
}

fn quorum_arguments() -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    arguments
}

async fn declare_queue(
    channel: &Channel,
    name: &str,
    arguments: FieldTable,
) -> Result<(), QueueError> {
    let options = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    channel
        .queue_declare(name.into(), options, arguments)
        .await?;
    Ok(())
}
