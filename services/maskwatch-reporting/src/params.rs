//! Query-string parameters, read strictly: an unknown or malformed parameter
//! is a 400 that names it, never silently ignored (a misspelt filter would
//! otherwise report on everything).

use std::collections::BTreeMap;
use std::str::FromStr;

use maskwatch_service::ApiError;

pub struct Params {
    values: BTreeMap<String, Vec<String>>,
}

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in pairs {
            values.entry(name).or_default().push(value);
        }
        Self { values }
    }

    /// The parameter's single value, parsed.
    pub fn one<T: FromStr>(&mut self, name: &str) -> Result<Option<T>, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        let Some(mut values) = self.values.remove(name) else {
            return Ok(None);
        };
        if values.len() > 1 {
            return Err(ApiError::bad_request(format!(
                "{name} given more than once"
            )));
        }
        let value = values.pop().unwrap_or_default();
        value
            .parse()
            .map(Some)
            .map_err(|error| ApiError::bad_request(format!("{name}: {error}")))
    }

    /// Every value of a parameter that may be repeated or comma-separated.
    pub fn list<T: FromStr>(&mut self, name: &str) -> Result<Vec<T>, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        let values = self.values.remove(name).unwrap_or_default();
        values
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(|value| {
                value
                    .parse()
                    .map_err(|error| ApiError::bad_request(format!("{name}: {value:?}: {error}")))
            })
            .collect()
    }

    /// Fails on any parameter nobody asked for.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.values.keys().next() {
            None => Ok(()),
            Some(name) => Err(ApiError::bad_request(format!("unknown parameter {name:?}"))),
        }
    }
}
