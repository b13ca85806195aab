//! OAuth 2.0 / OpenID Connect errors and their JSON form (RFC 6749 §5.2, OIDC Core §3.1.2.6,
//! RFC 7591 §3.2.2, RFC 6750 §3.1).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error the OP reports to a client. The message is the `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// Malformed or missing parameter.
    #[error("{0}")]
    InvalidRequest(String),
    /// Client authentication failed (HTTP 401).
    #[error("{0}")]
    InvalidClient(String),
    /// Code, refresh token or resource owner credentials are invalid, expired or revoked.
    #[error("{0}")]
    InvalidGrant(String),
    /// The client may not use this grant or response type.
    #[error("{0}")]
    UnauthorizedClient(String),
    /// Unknown grant type.
    #[error("{0}")]
    UnsupportedGrantType(String),
    /// Unknown or unsupported response type.
    #[error("{0}")]
    UnsupportedResponseType(String),
    /// Requested scope is invalid or exceeds what was granted.
    #[error("{0}")]
    InvalidScope(String),
    /// The user or the OP refused the request.
    #[error("{0}")]
    AccessDenied(String),
    /// `prompt=none` but the user must log in.
    #[error("{0}")]
    LoginRequired(String),
    /// `prompt=none` but the user must consent.
    #[error("{0}")]
    ConsentRequired(String),
    /// The `request` parameter is not supported.
    #[error("{0}")]
    RequestNotSupported(String),
    /// The `request_uri` parameter is not supported.
    #[error("{0}")]
    RequestUriNotSupported(String),
    /// The request object (`request`, or what `request_uri` pointed at) is not a valid JWT
    /// of this client: bad syntax, signature, algorithm or claims (OIDC Core §6.3).
    #[error("{0}")]
    InvalidRequestObject(String),
    /// `request_uri` could not be fetched or did not answer a request object (OIDC Core §6.3).
    #[error("{0}")]
    InvalidRequestUri(String),
    /// Registration: a redirect URI is invalid.
    #[error("{0}")]
    InvalidRedirectUri(String),
    /// Registration: other metadata is invalid.
    #[error("{0}")]
    InvalidClientMetadata(String),
    /// Bearer token is missing, unknown, expired or revoked (HTTP 401).
    #[error("{0}")]
    InvalidToken(String),
    /// Bearer token lacks a needed scope (HTTP 403).
    #[error("{0}")]
    InsufficientScope(String),
    /// End session: the id_token_hint / session cannot be used.
    #[error("{0}")]
    InvalidGrantAndSession(String),
    /// End session: the post_logout_redirect_uri is not registered for the client.
    #[error("{0}")]
    PostLogoutUriNotAssociatedWithClient(String),
    /// A fault of the OP itself (never a client's mistake).
    #[error("{0}")]
    ServerError(String),
}

impl OAuthError {
    /// The `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient(_) => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType(_) => "unsupported_grant_type",
            OAuthError::UnsupportedResponseType(_) => "unsupported_response_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::AccessDenied(_) => "access_denied",
            OAuthError::LoginRequired(_) => "login_required",
            OAuthError::ConsentRequired(_) => "consent_required",
            OAuthError::RequestNotSupported(_) => "request_not_supported",
            OAuthError::RequestUriNotSupported(_) => "request_uri_not_supported",
            OAuthError::InvalidRequestObject(_) => "invalid_request_object",
            OAuthError::InvalidRequestUri(_) => "invalid_request_uri",
            OAuthError::InvalidRedirectUri(_) => "invalid_redirect_uri",
            OAuthError::InvalidClientMetadata(_) => "invalid_client_metadata",
            OAuthError::InvalidToken(_) => "invalid_token",
            OAuthError::InsufficientScope(_) => "insufficient_scope",
            OAuthError::InvalidGrantAndSession(_) => "invalid_grant_and_session",
            OAuthError::PostLogoutUriNotAssociatedWithClient(_) => {
                "post_logout_uri_not_associated_with_client"
            }
            OAuthError::ServerError(_) => "server_error",
        }
    }

    /// The default HTTP status of the JSON form.
    pub fn status(&self) -> StatusCode {
        match self {
            OAuthError::InvalidClient(_) | OAuthError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            OAuthError::InsufficientScope(_) => StatusCode::FORBIDDEN,
            OAuthError::ServerError(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The `error_description`.
    pub fn description(&self) -> String {
        self.to_string()
    }

    /// A server fault, logged with its cause.
    pub fn server(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!("{context}: {err}");
        OAuthError::ServerError(context.to_string())
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({"error": self.code(), "error_description": self.description()});
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        match &self {
            OAuthError::InvalidClient(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"oxauth\""),
                );
            }
            OAuthError::InvalidToken(_) | OAuthError::InsufficientScope(_) => {
                let value = format!("Bearer error=\"{}\"", self.code());
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_rfcs() {
        assert_eq!(
            OAuthError::InvalidClient("x".into()).status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            OAuthError::InvalidGrant("x".into()).status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            OAuthError::InsufficientScope("x".into()).status(),
            StatusCode::FORBIDDEN
        );
    }

    #[test]
    fn bearer_errors_carry_a_challenge() {
        let response = OAuthError::InvalidToken("expired".into()).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer error=\"invalid_token\""
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }
}
