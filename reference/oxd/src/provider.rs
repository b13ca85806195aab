//! The OP side: discovery (cached per OP), the `openidconnect` client of a site, and how the
//! OP's failures become oxd errors.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, Client, ClientId, ClientSecret, DiscoveryError,
    EndSessionUrl, EndpointMaybeSet, EndpointNotSet, EndpointSet, ExtraTokenFields, IdTokenFields,
    IntrospectionUrl, IssuerUrl, ProviderMetadata, RequestTokenError, RevocationUrl,
    StandardErrorResponse, StandardTokenIntrospectionResponse, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::OxdError;

/// Discovery metadata Gluu publishes beyond OpenID Connect Discovery 1.0.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct GluuProviderMetadata {
    /// RP-initiated logout endpoint.
    pub end_session_endpoint: Option<EndSessionUrl>,
    /// RFC 7662 introspection endpoint.
    pub introspection_endpoint: Option<IntrospectionUrl>,
    /// RFC 7009 revocation endpoint.
    pub revocation_endpoint: Option<RevocationUrl>,
}
impl AdditionalProviderMetadata for GluuProviderMetadata {}

/// Claims beyond the standard ones (`sid`, Gluu's custom user attributes, ...), kept verbatim.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct OtherClaims {
    /// Every non-standard claim.
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}
impl AdditionalClaims for OtherClaims {}

/// Gluu's extra introspection fields.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct GluuIntrospectionFields {
    /// ACR of the authentication behind the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr_values: Option<Value>,
    /// Gluu's extension field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_field: Option<Value>,
}
impl ExtraTokenFields for GluuIntrospectionFields {}

/// Discovery document of an OP.
pub type Metadata = ProviderMetadata<
    GluuProviderMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// ID token fields of a token response.
pub type IdTokenExtra = IdTokenFields<
    OtherClaims,
    openidconnect::EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// Token endpoint response.
pub type TokenResponse = StandardTokenResponse<IdTokenExtra, CoreTokenType>;

/// Introspection response.
pub type IntrospectionResponse =
    StandardTokenIntrospectionResponse<GluuIntrospectionFields, CoreTokenType>;

/// The OP's OAuth error response.
pub type OpErrorResponse = StandardErrorResponse<CoreErrorResponseType>;

/// A site's `openidconnect` client (introspection endpoint set or not).
pub type OidcClient<HasIntrospectionUrl = EndpointNotSet> = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    OpErrorResponse,
    TokenResponse,
    IntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    HasIntrospectionUrl,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The ID token type of a token response.
pub type IdToken = openidconnect::IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// Fetches and caches discovery documents; builds clients.
pub struct Providers {
    http: reqwest::Client,
    cache: moka::future::Cache<String, Arc<Metadata>>,
}

impl Providers {
    /// Providers reached with `http`, documents reused for `ttl`.
    pub fn new(http: reqwest::Client, ttl: Duration) -> Self {
        Self {
            http,
            cache: moka::future::Cache::builder()
                .max_capacity(1024)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The HTTP client every OP call uses (timeouts set, redirects off).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Discovery metadata of `op_host` (a normalised issuer URL); concurrent misses share
    /// one fetch.
    pub async fn metadata(&self, op_host: &str) -> Result<Arc<Metadata>, OxdError> {
        let http = self.http.clone();
        let issuer = op_host.to_owned();
        self.cache
            .try_get_with(op_host.to_owned(), async move {
                discover(&http, &issuer).await.map(Arc::new)
            })
            .await
            .map_err(|e: Arc<String>| OxdError::Op((*e).clone()))
    }

    /// Drops the cached document of `op_host` and fetches it again (e.g. after a key rotation).
    pub async fn refresh(&self, op_host: &str) -> Result<Arc<Metadata>, OxdError> {
        self.cache.invalidate(op_host).await;
        self.metadata(op_host).await
    }

    /// The client `client_id` at the OP described by `metadata`.
    pub fn client(metadata: &Metadata, client_id: &str, client_secret: &str) -> OidcClient {
        Client::from_provider_metadata(
            metadata.clone(),
            ClientId::new(client_id.to_owned()),
            Some(ClientSecret::new(client_secret.to_owned())),
        )
    }
}

async fn discover(http: &reqwest::Client, op_host: &str) -> Result<Metadata, String> {
    let issuer = IssuerUrl::new(op_host.to_owned())
        .map_err(|e| format!("op_host {op_host:?} is not a URL: {e}"))?;
    Metadata::discover_async(issuer, http)
        .await
        .map_err(|e| discovery_error(op_host, &e))
}

fn discovery_error<RE: StdError + 'static>(op_host: &str, e: &DiscoveryError<RE>) -> String {
    match e {
        DiscoveryError::Request(inner) => format!(
            "OP {op_host} unreachable or too slow (discovery): {}",
            chain(inner)
        ),
        DiscoveryError::Response(status, body, _) => format!(
            "OP {op_host} discovery answered {status}: {}",
            excerpt(body)
        ),
        DiscoveryError::Parse(inner) => {
            format!("OP {op_host} discovery answered malformed metadata: {inner}")
        }
        other => format!("OP {op_host} discovery failed: {}", chain(other)),
    }
}

/// Maps a token/introspection endpoint failure: the OP refusing what the caller supplied is the
/// caller's 400, anything else (transport, timeout, 5xx, garbage) is a 500.
pub fn token_error<RE: StdError + 'static>(
    endpoint: &str,
    e: RequestTokenError<RE, OpErrorResponse>,
) -> OxdError {
    match e {
        RequestTokenError::ServerResponse(resp) => {
            let code = resp.error().as_ref().to_owned();
            let mut description = format!("OP {endpoint} endpoint refused the request: {code}");
            if let Some(d) = resp.error_description() {
                description.push_str(": ");
                description.push_str(d);
            }
            if matches!(code.as_str(), "server_error" | "temporarily_unavailable") {
                OxdError::Op(description)
            } else {
                OxdError::OpRejected { code, description }
            }
        }
        RequestTokenError::Request(inner) => OxdError::Op(format!(
            "OP {endpoint} endpoint unreachable or too slow: {}",
            chain(&inner)
        )),
        RequestTokenError::Parse(inner, body) => OxdError::Op(format!(
            "OP {endpoint} endpoint answered an unusable response ({inner}): {}",
            excerpt(&body)
        )),
        RequestTokenError::Other(msg) => {
            OxdError::Op(format!("OP {endpoint} endpoint failed: {msg}"))
        }
    }
}

/// An error and its sources on one line.
pub fn chain(e: &dyn StdError) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The start of an OP response body, for error messages.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        s.push('…');
    }
    s
}

/// Normalises an `op_host` from a request (absolute http(s) URL, no trailing slash).
pub fn normalise_op_host(raw: &str) -> Result<String, OxdError> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| OxdError::invalid("op_host", format!("not an absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(OxdError::invalid("op_host", "must be an http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(OxdError::invalid(
            "op_host",
            "must not carry a query or fragment",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_host_is_normalised_without_trailing_slash() {
        assert_eq!(
            normalise_op_host("https://op.example.com/").unwrap(),
            "https://op.example.com"
        );
        assert_eq!(
            normalise_op_host("https://op.example.com/oxauth/").unwrap(),
            "https://op.example.com/oxauth"
        );
    }

    #[test]
    fn op_host_must_be_http_url() {
        assert!(normalise_op_host("op.example.com").is_err());
        assert!(normalise_op_host("ftp://op.example.com").is_err());
        assert!(normalise_op_host("https://op.example.com/?x=1").is_err());
    }
}
