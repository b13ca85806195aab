//! The requesting party (RqP) of the spontaneous-scope tutorial (seed 002), the Rust twin of
//! Gluu's `oauth-ss-demo.py`: it gets an access token for a spontaneous scope (from oxd's
//! `get-client-token`, or with [`Settings::direct`] from the OP's token endpoint) and calls the
//! protected resource through the Kong proxy with the route's `Host` header.
//!
//! [`run`] prints what the script prints, under the same headings:
//! `--------- Token Response ---------- ` then the token JSON, and
//! `--------- Requested resource response ---------- ` then the resource body.
#![warn(missing_docs)]

mod settings;
mod token;

use std::io::Write;
use std::time::Duration;

pub use settings::{Settings, SettingsError};

/// Heading printed before the token response (the tutorial script's, trailing space included).
pub const TOKEN_HEADING: &str = "--------- Token Response ---------- ";
/// Heading printed before the resource response (the tutorial script's, trailing space included).
pub const RESOURCE_HEADING: &str = "--------- Requested resource response ---------- ";

/// Why the requesting party failed; each message says which step and what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum RqpError {
    /// A setting is missing or malformed.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// An HTTP call could not be made or did not complete.
    #[error("{step}: request to {url} failed: {source}")]
    Http {
        /// Which step of the flow.
        step: &'static str,
        /// The URL called.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// A server answered with a non-success status.
    #[error("Error: Failed Not Ok Endpoint: {url} ({status}): {body}")]
    Status {
        /// The URL called.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The response body.
        body: String,
    },
    /// A response was not what the protocol promises.
    #[error("{step}: {message}")]
    Protocol {
        /// Which step of the flow.
        step: &'static str,
        /// What was wrong.
        message: String,
    },
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

/// What a successful run obtained.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The token response JSON.
    pub token_response: serde_json::Value,
    /// The access token used.
    pub access_token: String,
    /// The status of the resource response.
    pub resource_status: u16,
    /// The body of the resource response.
    pub resource_body: String,
}

/// Gets the token, calls the resource, and prints both under the tutorial's headings to `out`.
pub async fn run(settings: &Settings, out: &mut impl Write) -> Result<Outcome, RqpError> {
    settings.validate()?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(settings.timeout_secs))
        .connect_timeout(Duration::from_secs(settings.timeout_secs))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|source| RqpError::Http {
            step: "client",
            url: String::new(),
            source,
        })?;
    let token_response = if settings.direct {
        token::from_op(&client, settings).await?
    } else {
        token::from_oxd(&client, settings).await?
    };
    writeln!(out, "{TOKEN_HEADING}")?;
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&token_response).unwrap_or_default()
    )?;
    let access_token = token_response
        .get("access_token")
        .and_then(|v| v.as_str())
        .ok_or_else(|| RqpError::Protocol {
            step: "token",
            message: "the token response has no access_token".into(),
        })?
        .to_owned();

    let url = settings.resource_url()?;
    let resp = client
        .get(url.clone())
        .header("content-type", "application/json")
        .header("authorization", format!("bearer {access_token}"))
        .header("host", settings.kong_route_host.as_str())
        .send()
        .await
        .map_err(|source| RqpError::Http {
            step: "resource",
            url: url.to_string(),
            source,
        })?;
    let status = resp.status().as_u16();
    let body = resp.text().await.map_err(|source| RqpError::Http {
        step: "resource",
        url: url.to_string(),
        source,
    })?;
    if !(200..300).contains(&status) {
        return Err(RqpError::Status {
            url: url.to_string(),
            status,
            body,
        });
    }
    writeln!(out, "{RESOURCE_HEADING}")?;
    writeln!(out, "{body}")?;
    Ok(Outcome {
        token_response,
        access_token,
        resource_status: status,
        resource_body: body,
    })
}

#[cfg(test)]
mod tests;
