//! oxd's error responses: `{"error","error_description"}` with the status oxd uses
//! (`docs/gluu-gateway.md#oxd-transport`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Why a command failed. Each variant fixes the HTTP status and the `error` code.
#[derive(Debug, thiserror::Error)]
pub enum OxdError {
    /// A required request field is absent or empty (400 `bad_request_no_<field>`).
    #[error("'{0}' is empty or not specified.")]
    MissingField(&'static str),
    /// A request field is present but unusable (400 `invalid_request`).
    #[error("{field}: {reason}")]
    InvalidField {
        /// The field (JSON path) at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The body is not a JSON object (400 `invalid_request`).
    #[error("request body is not a JSON object: {0}")]
    MalformedBody(String),
    /// The body is larger than [`crate::request::MAX_BODY_BYTES`] (413 `invalid_request`,
    /// RFC 9110 §15.5.14); nothing of it was parsed.
    #[error("request body is larger than {} bytes", crate::request::MAX_BODY_BYTES)]
    BodyTooLarge,
    /// `oxd_id` names no registered site (400 `invalid_oxd_id`).
    #[error("Invalid oxd_id {0:?}. Unable to find site for oxd_id. It does not exist or has been removed from the server.")]
    UnknownOxdId(String),
    /// `state` was not issued for this site, was already used, or expired (400 `bad_state`).
    #[error("State is not valid: it was not issued by get-authorization-url for this oxd_id, was already used, or expired.")]
    BadState,
    /// The OP rejected what the caller supplied (400 with the OP's error code).
    #[error("{description}")]
    OpRejected {
        /// The OP's OAuth error code (e.g. `invalid_client`, `invalid_grant`).
        code: String,
        /// Which OP endpoint and what it said.
        description: String,
    },
    /// No `Authorization: Bearer` protection token (401 `blank_access_token`).
    #[error("access_token is blank. Command is protected by access_token, please provide a valid token obtained with get-client-token (scope oxd) in the Authorization header, or switch off protection with protect_commands_with_access_token=false.")]
    MissingProtectionToken,
    /// The protection token is unknown, expired or lacks the `oxd` scope (403 `invalid_access_token`).
    #[error("access_token is not valid: {0}")]
    InvalidProtectionToken(&'static str),
    /// The protection token was issued to another client than the site's (403 `invalid_access_token`).
    #[error("access_token is not valid: it was issued to client {token_client:?}, but oxd_id belongs to client {site_client:?}")]
    ProtectionTokenClientMismatch {
        /// `client_id` the token was issued to.
        token_client: String,
        /// `client_id` of the site named by `oxd_id`.
        site_client: String,
    },
    /// The OP failed: unreachable, timed out, 5xx, or an unusable answer (500 `internal_error`).
    #[error("{0}")]
    Op(String),
    /// The route does not exist (404 `not_found`).
    #[error("no oxd command at this path")]
    NotFound,
    /// A command called with another method than POST (405 `method_not_allowed`).
    #[error("oxd commands are called with POST and a JSON body")]
    MethodNotAllowed,
}

impl OxdError {
    /// The HTTP status oxd answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingField(_)
            | Self::InvalidField { .. }
            | Self::MalformedBody(_)
            | Self::UnknownOxdId(_)
            | Self::BadState
            | Self::OpRejected { .. } => StatusCode::BAD_REQUEST,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MissingProtectionToken => StatusCode::UNAUTHORIZED,
            Self::InvalidProtectionToken(_) | Self::ProtectionTokenClientMismatch { .. } => {
                StatusCode::FORBIDDEN
            }
            Self::Op(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    /// The `error` code of the body.
    pub fn code(&self) -> String {
        match self {
            Self::MissingField(field) => format!("bad_request_no_{field}"),
            Self::InvalidField { .. } | Self::MalformedBody(_) | Self::BodyTooLarge => {
                "invalid_request".into()
            }
            Self::UnknownOxdId(_) => "invalid_oxd_id".into(),
            Self::BadState => "bad_state".into(),
            Self::OpRejected { code, .. } => code.clone(),
            Self::MissingProtectionToken => "blank_access_token".into(),
            Self::InvalidProtectionToken(_) | Self::ProtectionTokenClientMismatch { .. } => {
                "invalid_access_token".into()
            }
            Self::Op(_) => "internal_error".into(),
            Self::NotFound => "not_found".into(),
            Self::MethodNotAllowed => "method_not_allowed".into(),
        }
    }

    /// An [`OxdError::InvalidField`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidField {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl IntoResponse for OxdError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(error = %self, "oxd command failed");
        }
        let body = json!({"error": self.code(), "error_description": self.to_string()});
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_field_names_the_field_in_code_and_description() {
        let e = OxdError::MissingField("oxd_id");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.code(), "bad_request_no_oxd_id");
        assert!(e.to_string().contains("'oxd_id'"));
    }

    #[test]
    fn protection_token_errors_are_401_and_403() {
        assert_eq!(
            OxdError::MissingProtectionToken.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            OxdError::InvalidProtectionToken("expired").status(),
            StatusCode::FORBIDDEN
        );
    }

    #[test]
    fn op_failures_are_500_internal_error() {
        let e = OxdError::Op("OP unreachable".into());
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.code(), "internal_error");
    }
}
