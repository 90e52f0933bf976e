//! Any bytes, read as each thing maskwatch decodes from outside. No input
//! may panic; what is accepted must hold the decoder's promises.

#![no_main]

use libfuzzer_sys::fuzz_target;
use maskwatch_wire::{
    AuditRequest, FilterParams, ImageJob, ImageRequest, MAX_MESSAGE_BYTES, QueryParams,
};

fuzz_target!(|data: &[u8]| {
    queue_message(data);
    let _ = serde_json::from_slice::<ImageRequest>(data);
    let _ = serde_json::from_slice::<AuditRequest>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        report_query(text);
    }
});

fn queue_message(data: &[u8]) {
    let Ok(job) = ImageJob::from_bytes(data) else {
        return;
    };
    assert!(data.len() <= MAX_MESSAGE_BYTES);
    assert!(!job.bucket.is_empty() && !job.key.is_empty());
    // What a worker accepts, a publisher writes back the same.
    let written = job.to_bytes();
    if written.len() <= MAX_MESSAGE_BYTES {
        assert_eq!(ImageJob::from_bytes(&written).as_ref(), Ok(&job));
    }
}

fn report_query(text: &str) {
    let Ok(mut params) = QueryParams::parse(text) else {
        return;
    };
    if let Ok(filters) = FilterParams::take(&mut params) {
        if let (Some(from), Some(to)) = (filters.from, filters.to) {
            assert!(from < to);
        }
        if let Some(confidence) = filters.min_confidence {
            assert!((0.0..=1.0).contains(&confidence));
        }
        assert!(!filters.time_zone.is_empty());
    }
    let _ = params.list::<String>("group_by");
    let _ = params.one::<u32>("limit");
    let _ = params.finish();
}
