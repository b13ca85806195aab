//! Getting the access token: from oxd (`get-client-token`, the tutorial's step 1) or directly from
//! the OP's token endpoint (client credentials grant), as seed 001 point 8 describes.

use serde_json::{json, Value};

use crate::{RqpError, Settings};

/// `POST <oxd>/get-client-token {client_id, client_secret, op_host, scope: [scope]}`.
pub async fn from_oxd(client: &reqwest::Client, s: &Settings) -> Result<Value, RqpError> {
    let url = s.oxd_url("get-client-token")?;
    let body = json!({
        "client_id": s.consumer_client_id,
        "client_secret": s.consumer_client_secret,
        "op_host": s.op_server,
        "scope": s.scope.split_whitespace().collect::<Vec<_>>(),
    });
    let resp = client
        .post(url.clone())
        .json(&body)
        .send()
        .await
        .map_err(|source| http("get-client-token", &url, source))?;
    json_or_status(resp, &url, "get-client-token").await
}

/// Client credentials grant at the token endpoint named by the OP's discovery document.
pub async fn from_op(client: &reqwest::Client, s: &Settings) -> Result<Value, RqpError> {
    let discovery_url = s.discovery_url()?;
    let resp = client
        .get(discovery_url.clone())
        .send()
        .await
        .map_err(|source| http("discovery", &discovery_url, source))?;
    let discovery = json_or_status(resp, &discovery_url, "discovery").await?;
    let token_endpoint = discovery
        .get("token_endpoint")
        .and_then(Value::as_str)
        .ok_or_else(|| RqpError::Protocol {
            step: "discovery",
            message: format!("{discovery_url} names no token_endpoint"),
        })?;
    let token_url = url::Url::parse(token_endpoint).map_err(|e| RqpError::Protocol {
        step: "discovery",
        message: format!("token_endpoint {token_endpoint:?} is not a URL: {e}"),
    })?;
    let resp = client
        .post(token_url.clone())
        .basic_auth(&s.consumer_client_id, Some(&s.consumer_client_secret))
        .form(&[("grant_type", "client_credentials"), ("scope", &s.scope)])
        .send()
        .await
        .map_err(|source| http("token", &token_url, source))?;
    json_or_status(resp, &token_url, "token").await
}

fn http(step: &'static str, url: &url::Url, source: reqwest::Error) -> RqpError {
    RqpError::Http {
        step,
        url: url.to_string(),
        source,
    }
}

async fn json_or_status(
    resp: reqwest::Response,
    url: &url::Url,
    step: &'static str,
) -> Result<Value, RqpError> {
    let status = resp.status().as_u16();
    let text = resp
        .text()
        .await
        .map_err(|source| http(step, url, source))?;
    if !(200..300).contains(&status) {
        return Err(RqpError::Status {
            url: url.to_string(),
            status,
            body: text,
        });
    }
    serde_json::from_str(&text).map_err(|e| RqpError::Protocol {
        step,
        message: format!("{url} answered with invalid JSON: {e}"),
    })
}
