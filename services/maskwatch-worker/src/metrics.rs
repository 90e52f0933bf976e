//! The worker's Prometheus metrics.

use prometheus::{Histogram, HistogramOpts, IntCounterVec, Opts, Registry};

pub struct WorkerMetrics {
    pub registry: Registry,
    /// Images by how they ended: done, failed, duplicate, dead_lettered.
    pub images: IntCounterVec,
    pub faces: IntCounterVec,
    /// Messages that were not jobs.
    pub rejected_messages: prometheus::IntCounter,
    /// Errors that were retried, by what failed: s3, database, broker.
    pub transient_errors: IntCounterVec,
    pub batch_images: Histogram,
    /// From publication to the start of processing.
    pub queued_seconds: Histogram,
    pub fetch_seconds: Histogram,
    pub inference_seconds: Histogram,
}

impl WorkerMetrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("maskwatch_worker".into()), None)
            .expect("a valid metrics prefix");
        let images =
            IntCounterVec::new(Opts::new("images_total", "Images by outcome"), &["outcome"])
                .expect("valid metric");
        let faces = IntCounterVec::new(
            Opts::new("faces_total", "Faces written, by condition"),
            &["condition"],
        )
        .expect("valid metric");
        let rejected_messages = prometheus::IntCounter::new(
            "rejected_messages_total",
            "Messages that were not valid jobs",
        )
        .expect("valid metric");
        let transient_errors = IntCounterVec::new(
            Opts::new("transient_errors_total", "Errors retried, by source"),
            &["source"],
        )
        .expect("valid metric");
        let batch_images = histogram(
            "batch_images",
            "Images per inference batch",
            vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
        );
        let seconds = vec![
            0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
        ];
        let queued_seconds = histogram(
            "queued_seconds",
            "Seconds from publication to processing",
            seconds.clone(),
        );
        let fetch_seconds = histogram(
            "fetch_seconds",
            "Seconds to fetch a batch from S3",
            seconds.clone(),
        );
        let inference_seconds = histogram(
            "inference_seconds",
            "Seconds of inference per batch",
            seconds,
        );
        for collector in [
            Box::new(images.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(faces.clone()),
            Box::new(rejected_messages.clone()),
            Box::new(transient_errors.clone()),
            Box::new(batch_images.clone()),
            Box::new(queued_seconds.clone()),
            Box::new(fetch_seconds.clone()),
            Box::new(inference_seconds.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric names are unique");
        }
        Self {
            registry,
            images,
            faces,
            rejected_messages,
            transient_errors,
            batch_images,
            queued_seconds,
            fetch_seconds,
            inference_seconds,
        }
    }
}

fn histogram(name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets)).expect("valid metric")
}
