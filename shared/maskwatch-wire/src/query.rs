//! Query strings, read strictly: an unknown, repeated or malformed parameter
//! is refused with its name, never silently ignored (a misspelt filter would
//! otherwise report on everything).

use std::collections::BTreeMap;
use std::str::FromStr;

use thiserror::Error;

/// Longer query strings are refused unread.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// Why a query string was refused; the message names the parameter.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{0}")]
pub struct BadParameter(pub String);

pub struct QueryParams {
    values: BTreeMap<String, Vec<String>>,
}

impl QueryParams {
    /// Decodes a URL query string (`a=1&b=x%20y`; `+` is a space).
    pub fn parse(query: &str) -> Result<Self, BadParameter> {
        if query.len() > MAX_QUERY_BYTES {
            return Err(BadParameter(format!(
                "query string of {} bytes is over the {MAX_QUERY_BYTES}-byte limit",
                query.len()
            )));
        }
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            values
                .entry(name.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        Ok(Self { values })
    }

    /// The parameter's single value, parsed.
    pub fn one<T: FromStr>(&mut self, name: &str) -> Result<Option<T>, BadParameter>
    where
        T::Err: std::fmt::Display,
    {
        let Some(mut values) = self.values.remove(name) else {
            return Ok(None);
        };
        if values.len() > 1 {
            return Err(BadParameter(format!("{name} given more than once")));
        }
        let value = values.pop().unwrap_or_default();
        value
            .parse()
            .map(Some)
            .map_err(|error| BadParameter(format!("{name}: {error}")))
    }

    /// Every value of a parameter that may be repeated or comma-separated.
    pub fn list<T: FromStr>(&mut self, name: &str) -> Result<Vec<T>, BadParameter>
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
                    .map_err(|error| BadParameter(format!("{name}: {value:?}: {error}")))
            })
            .collect()
    }

    /// Fails on any parameter nobody asked for.
    pub fn finish(self) -> Result<(), BadParameter> {
        match self.values.keys().next() {
            None => Ok(()),
            Some(name) => Err(BadParameter(format!("unknown parameter {name:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_lists_and_refuses_what_is_wrong() {
        let mut params = QueryParams::parse("n=3&tag=a,b&tag=c&name=x+y%21").unwrap();
        assert_eq!(params.one::<i32>("n").unwrap(), Some(3));
        assert_eq!(params.list::<String>("tag").unwrap(), ["a", "b", "c"]);
        assert_eq!(
            params.one::<String>("name").unwrap().as_deref(),
            Some("x y!")
        );
        assert_eq!(params.one::<i32>("absent").unwrap(), None);
        params.finish().unwrap();

        let mut twice = QueryParams::parse("n=1&n=2").unwrap();
        assert!(
            twice
                .one::<i32>("n")
                .unwrap_err()
                .0
                .contains("more than once")
        );
        let mut malformed = QueryParams::parse("n=three").unwrap();
        assert!(malformed.one::<i32>("n").unwrap_err().0.starts_with("n: "));
        let unknown = QueryParams::parse("colour=red").unwrap();
        assert!(unknown.finish().unwrap_err().0.contains("\"colour\""));
        assert!(QueryParams::parse(&"a".repeat(MAX_QUERY_BYTES + 1)).is_err());
    }
}
