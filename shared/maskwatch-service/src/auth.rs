//! Bearer tokens with scopes for the HTTP APIs.
//!
//! Tokens come from the environment (`MASKWATCH_API_TOKENS`) or a file
//! (`MASKWATCH_API_TOKENS_FILE`, e.g. a mounted secret), one entry per line
//! or separated by spaces: `read=<token>`, `submit=<token>`,
//! `read,submit=<token>`. Only SHA-256 digests of the tokens are kept, and
//! nothing here ever formats a token into a log or an error.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Read reports, audits and cameras.
    Read,
    /// Submit images, audits and cameras.
    Submit,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Submit => "submit",
        }
    }

    fn parse(name: &str) -> anyhow::Result<Self> {
        match name {
            "read" => Ok(Scope::Read),
            "submit" => Ok(Scope::Submit),
            other => bail!("unknown scope {other:?} (expected read or submit)"),
        }
    }
}

/// Where the tokens come from.
#[derive(Clone, clap::Args)]
pub struct AuthOptions {
    /// API tokens: `scope[,scope]=token` entries separated by spaces.
    #[arg(long, env = "MASKWATCH_API_TOKENS", hide_env_values = true)]
    pub api_tokens: Option<String>,

    /// A file of API tokens, one `scope[,scope]=token` per line (`#` starts a comment).
    #[arg(long, env = "MASKWATCH_API_TOKENS_FILE")]
    pub api_tokens_file: Option<PathBuf>,
}

impl fmt::Debug for AuthOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthOptions")
            .field(
                "api_tokens",
                &self.api_tokens.as_ref().map(|_| "<redacted>"),
            )
            .field("api_tokens_file", &self.api_tokens_file)
            .finish()
    }
}

impl AuthOptions {
    /// Reads the configured tokens. A service without any token would be
    /// open to anyone, so that is refused.
    pub fn load(&self) -> anyhow::Result<Arc<Tokens>> {
        let mut tokens = Tokens::default();
        if let Some(entries) = &self.api_tokens {
            tokens
                .add_entries(entries)
                .context("MASKWATCH_API_TOKENS")?;
        }
        if let Some(path) = &self.api_tokens_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            tokens
                .add_entries(&text)
                .with_context(|| format!("in {}", path.display()))?;
        }
        if tokens.by_digest.is_empty() {
            bail!(
                "no API tokens configured: set MASKWATCH_API_TOKENS or MASKWATCH_API_TOKENS_FILE"
            );
        }
        Ok(Arc::new(tokens))
    }
}

/// The accepted tokens, by digest, with their scopes.
#[derive(Default)]
pub struct Tokens {
    by_digest: HashMap<[u8; 32], Vec<Scope>>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tokens({} configured)", self.by_digest.len())
    }
}

impl Tokens {
    /// Adds `scope[,scope]=token` entries separated by whitespace; `#`
    /// comments out the rest of a line.
    pub fn add_entries(&mut self, text: &str) -> anyhow::Result<()> {
        let entries = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or(""))
            .flat_map(str::split_whitespace);
        for (number, entry) in entries.enumerate() {
            let Some((scopes, token)) = entry.split_once('=') else {
                bail!("entry {} is not scope=token", number + 1);
            };
            if token.len() < 16 {
                bail!(
                    "entry {}: tokens must be at least 16 characters",
                    number + 1
                );
            }
            let scopes = scopes
                .split(',')
                .map(Scope::parse)
                .collect::<anyhow::Result<Vec<_>>>()
                .with_context(|| format!("entry {}", number + 1))?;
            self.by_digest.insert(digest(token), scopes);
        }
        Ok(())
    }

    fn scopes_of(&self, token: &str) -> Option<&[Scope]> {
        self.by_digest.get(&digest(token)).map(Vec::as_slice)
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Middleware state: the tokens and the scope a group of routes needs.
#[derive(Clone)]
pub struct RequireScope {
    pub tokens: Arc<Tokens>,
    pub scope: Scope,
}

/// Lets a request through only with a bearer token that has the scope:
/// 401 without a known token, 403 with a token that lacks the scope.
pub async fn require_scope(
    State(required): State<RequireScope>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = presented else {
        return refusal(
            StatusCode::UNAUTHORIZED,
            "a bearer token is required".into(),
        );
    };
    match required.tokens.scopes_of(token) {
        None => refusal(StatusCode::UNAUTHORIZED, "unknown token".into()),
        Some(scopes) if !scopes.contains(&required.scope) => refusal(
            StatusCode::FORBIDDEN,
            format!("this token lacks the {} scope", required.scope.name()),
        ),
        Some(_) => next.run(request).await,
    }
}

fn refusal(status: StatusCode, reason: String) -> Response {
    let mut response = (status, axum::Json(serde_json::json!({ "error": reason }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_give_each_token_its_scopes() {
        let mut tokens = Tokens::default();
        tokens
            .add_entries(
                "read=reader-token-0123456789 # a reader\nread,submit=admin-token-0123456789",
            )
            .unwrap();
        assert_eq!(
            tokens.scopes_of("reader-token-0123456789"),
            Some(&[Scope::Read][..])
        );
        assert_eq!(
            tokens.scopes_of("admin-token-0123456789"),
            Some(&[Scope::Read, Scope::Submit][..])
        );
        assert_eq!(tokens.scopes_of("unknown-token-0123456789"), None);
    }

    #[test]
    fn bad_entries_are_refused_without_echoing_the_token() {
        for (text, expected) in [
            ("write=some-long-token-value", "unknown scope"),
            ("read=short", "at least 16"),
            ("just-a-token-without-scope", "not scope=token"),
        ] {
            let error = format!("{:#}", Tokens::default().add_entries(text).unwrap_err());
            assert!(error.contains(expected), "{error}");
            assert!(
                !error.contains("long-token") && !error.contains("short"),
                "{error}"
            );
        }
    }

    #[test]
    fn no_tokens_at_all_is_an_error() {
        let options = AuthOptions {
            api_tokens: Some("  # nothing\n".into()),
            api_tokens_file: None,
        };
        assert!(options.load().is_err());
    }

    #[test]
    fn debug_output_hides_tokens() {
        let options = AuthOptions {
            api_tokens: Some("read=secret-token-0123456789".into()),
            api_tokens_file: None,
        };
        assert!(!format!("{options:?}").contains("secret"));
        assert!(!format!("{:?}", options.load().unwrap()).contains("secret"));
    }
}
