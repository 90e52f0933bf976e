//! The filters every report takes, as given in its query string: a time
//! range, camera and site names, audits, a minimum classifier confidence,
//! and the time zone that days and hours are counted in.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{BadParameter, QueryParams};

/// Longer time-zone names are refused without asking the database (the
/// longest IANA name is 32 characters).
pub const MAX_TIME_ZONE_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub struct FilterParams {
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub cameras: Vec<String>,
    pub sites: Vec<String>,
    pub audits: Vec<Uuid>,
    /// Faces whose classification is less certain than this are left out.
    pub min_confidence: Option<f32>,
    /// IANA name, UTC unless given; the database decides what it means.
    pub time_zone: String,
}

impl FilterParams {
    /// Takes the filter parameters out of `params` and checks them together.
    pub fn take(params: &mut QueryParams) -> Result<Self, BadParameter> {
        let filters = Self {
            from: params.one("from")?,
            to: params.one("to")?,
            cameras: params.list("camera")?,
            sites: params.list("site")?,
            audits: params.list("audit")?,
            min_confidence: params.one("min_confidence")?,
            time_zone: params.one("tz")?.unwrap_or_else(|| "UTC".to_owned()),
        };
        if let (Some(from), Some(to)) = (filters.from, filters.to)
            && from >= to
        {
            return Err(BadParameter("from must be before to".into()));
        }
        if let Some(confidence) = filters.min_confidence
            && !(0.0..=1.0).contains(&confidence)
        {
            return Err(BadParameter(
                "min_confidence must be between 0 and 1".into(),
            ));
        }
        if filters.time_zone.is_empty() || filters.time_zone.chars().count() > MAX_TIME_ZONE_CHARS {
            return Err(BadParameter("tz: not a time zone name".into()));
        }
        Ok(filters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(query: &str) -> Result<FilterParams, BadParameter> {
        let mut params = QueryParams::parse(query)?;
        let filters = FilterParams::take(&mut params)?;
        params.finish()?;
        Ok(filters)
    }

    #[test]
    fn reads_every_filter() {
        let filters = take(
            "from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00%2B01:00&camera=a,b&site=north\
             &audit=7d9f4b3e-6a35-4a63-9d2b-8f6f7c1d2e3f&min_confidence=0.8&tz=Europe/Paris",
        )
        .unwrap();
        assert_eq!(filters.cameras, ["a", "b"]);
        assert_eq!(filters.sites, ["north"]);
        assert_eq!(filters.audits.len(), 1);
        assert_eq!(filters.min_confidence, Some(0.8));
        assert_eq!(filters.time_zone, "Europe/Paris");
        assert_eq!(
            filters.to.unwrap().to_rfc3339(),
            "2026-03-01T23:00:00+00:00"
        );
        assert_eq!(take("").unwrap().time_zone, "UTC");
    }

    #[test]
    fn refuses_contradictions_and_nonsense() {
        for (query, reason) in [
            (
                "from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z",
                "before",
            ),
            ("min_confidence=1.5", "between 0 and 1"),
            ("min_confidence=NaN", "between 0 and 1"),
            ("audit=not-a-uuid", "audit: "),
            ("from=yesterday", "from: "),
            ("tz=", "tz: "),
            ("cmaera=a", "unknown parameter"),
        ] {
            let error = take(query).unwrap_err();
            assert!(error.0.contains(reason), "{query}: {error}");
        }
    }
}
