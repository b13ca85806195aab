//! Newtypes for the protocol strings the OP understands. Parsing a wire value into one of these
//! is where an unknown value is rejected, so the rest of the code never compares raw strings.

use serde::{Deserialize, Serialize};

/// OAuth 2.0 grant types the token endpoint implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// RFC 6749 §4.1.
    AuthorizationCode,
    /// RFC 6749 §6.
    RefreshToken,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §4.3 (resource owner password credentials).
    Password,
    /// RFC 6749 §4.2: tokens from the authorization endpoint (response types with `id_token`
    /// or `token`); never presented at the token endpoint.
    Implicit,
}

impl GrantType {
    /// All grant types, in discovery order.
    pub const ALL: [GrantType; 5] = [
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::Password,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
            GrantType::Implicit => "implicit",
        }
    }

    /// Parses a wire name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == value)
    }
}

/// An authorization endpoint `response_type` (OAuth 2.0 Multiple Response Type Encoding
/// Practices §3-5): which of a code, an ID token and an access token the authorization response
/// carries. The values are space-separated and their order does not matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseType {
    /// `code`: an authorization code.
    pub code: bool,
    /// `id_token`: an ID token from the authorization endpoint.
    pub id_token: bool,
    /// `token`: an access token from the authorization endpoint.
    pub token: bool,
}

impl ResponseType {
    const fn of(code: bool, id_token: bool, token: bool) -> Self {
        Self {
            code,
            id_token,
            token,
        }
    }

    /// The code flow.
    pub const CODE: ResponseType = ResponseType::of(true, false, false);

    /// Every response type the authorization endpoint implements, in discovery order.
    pub const ALL: [ResponseType; 7] = [
        ResponseType::CODE,
        ResponseType::of(false, true, false),
        ResponseType::of(false, true, true),
        ResponseType::of(true, true, false),
        ResponseType::of(true, false, true),
        ResponseType::of(true, true, true),
        ResponseType::of(false, false, true),
    ];

    /// The canonical wire value (`code id_token token` order).
    pub fn as_str(self) -> &'static str {
        match (self.code, self.id_token, self.token) {
            (true, false, false) => "code",
            (false, true, false) => "id_token",
            (false, true, true) => "id_token token",
            (true, true, false) => "code id_token",
            (true, false, true) => "code token",
            (true, true, true) => "code id_token token",
            (false, false, true) => "token",
            (false, false, false) => "none",
        }
    }

    /// Parses a wire value: space-separated `code`, `id_token`, `token` in any order, each at
    /// most once. (`none` is not implemented.)
    pub fn parse(value: &str) -> Option<Self> {
        let mut parsed = Self::of(false, false, false);
        for word in value.split(' ') {
            let flag = match word {
                "code" => &mut parsed.code,
                "id_token" => &mut parsed.id_token,
                "token" => &mut parsed.token,
                _ => return None,
            };
            if std::mem::replace(flag, true) {
                return None;
            }
        }
        Self::ALL.contains(&parsed).then_some(parsed)
    }

    /// Whether the authorization response carries a token (an ID token or an access token).
    pub fn issues_tokens(self) -> bool {
        self.id_token || self.token
    }

    /// The grant types a client needs for this response type (RFC 7591 §2.1).
    pub fn grant_types(self) -> Vec<GrantType> {
        let mut grants = Vec::new();
        if self.code {
            grants.push(GrantType::AuthorizationCode);
        }
        if self.issues_tokens() {
            grants.push(GrantType::Implicit);
        }
        grants
    }

    /// The response mode used when the request names none: `query` for `code`, `fragment`
    /// whenever tokens are in the response (Multiple Response Types §5).
    pub fn default_mode(self) -> ResponseMode {
        if self.issues_tokens() {
            ResponseMode::Fragment
        } else {
            ResponseMode::Query
        }
    }

    /// Whether `mode` may carry this response: tokens never go in a query string (Multiple
    /// Response Types §5: they would end up in logs and `Referer` headers).
    pub fn allows_mode(self, mode: ResponseMode) -> bool {
        mode != ResponseMode::Query || !self.issues_tokens()
    }
}

/// How the authorization response reaches the redirect URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseMode {
    /// Parameters in the redirect URI's query (a 302).
    Query,
    /// Parameters in the redirect URI's fragment (a 302).
    Fragment,
    /// An auto-submitting HTML form POSTing the parameters (OAuth 2.0 Form Post Response Mode).
    FormPost,
}

impl ResponseMode {
    /// Every response mode, in discovery order.
    pub const ALL: [ResponseMode; 3] = [
        ResponseMode::Query,
        ResponseMode::Fragment,
        ResponseMode::FormPost,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::Fragment => "fragment",
            ResponseMode::FormPost => "form_post",
        }
    }

    /// Parses a wire name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }
}

/// OIDC Core §8 subject identifier types: whether every client sees the user's one `sub`, or
/// each sector its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    /// The user's `sub`, the same for every client.
    #[default]
    Public,
    /// A `sub` per sector (the host of the client's redirect URIs), not linkable across sectors.
    Pairwise,
}

impl SubjectType {
    /// Both types, in discovery order.
    pub const ALL: [SubjectType; 2] = [SubjectType::Public, SubjectType::Pairwise];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Public => "public",
            SubjectType::Pairwise => "pairwise",
        }
    }

    /// Parses a wire name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == value)
    }
}

/// How a client authenticates at the token, introspection and revocation endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    /// HTTP Basic with client_id and client_secret.
    #[default]
    ClientSecretBasic,
    /// client_id and client_secret in the form body.
    ClientSecretPost,
    /// Public client: no secret, PKCE required for the code flow.
    None,
    /// A JWT assertion MACed (HS256) with the client secret (OIDC Core §9, RFC 7523).
    ClientSecretJwt,
    /// A JWT assertion signed (RS256/ES256) with a key of the client's `jwks`/`jwks_uri`
    /// (OIDC Core §9, RFC 7523).
    PrivateKeyJwt,
}

impl TokenEndpointAuthMethod {
    /// All methods, in discovery order.
    pub const ALL: [TokenEndpointAuthMethod; 5] = [
        TokenEndpointAuthMethod::ClientSecretBasic,
        TokenEndpointAuthMethod::ClientSecretPost,
        TokenEndpointAuthMethod::ClientSecretJwt,
        TokenEndpointAuthMethod::PrivateKeyJwt,
        TokenEndpointAuthMethod::None,
    ];

    /// Whether the client has a secret (every method but `none` and `private_key_jwt`).
    pub fn uses_secret(self) -> bool {
        !matches!(
            self,
            TokenEndpointAuthMethod::None | TokenEndpointAuthMethod::PrivateKeyJwt
        )
    }

    /// The algorithms its assertions may use (none for the methods without an assertion).
    pub fn assertion_algs(self) -> &'static [ClientAlg] {
        match self {
            TokenEndpointAuthMethod::ClientSecretJwt => &[ClientAlg::HS256],
            TokenEndpointAuthMethod::PrivateKeyJwt => &[ClientAlg::RS256, ClientAlg::ES256],
            _ => &[],
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenEndpointAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenEndpointAuthMethod::ClientSecretPost => "client_secret_post",
            TokenEndpointAuthMethod::None => "none",
            TokenEndpointAuthMethod::ClientSecretJwt => "client_secret_jwt",
            TokenEndpointAuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    /// Parses a wire name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }
}

/// OpenID Connect Dynamic Client Registration `application_type`: what kind of redirect URIs
/// the client may use (see [`crate::redirect_uris`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    /// A web application: https redirect URIs (http only on loopback).
    #[default]
    Web,
    /// A native application (RFC 8252): private-use reverse-domain schemes, loopback http,
    /// claimed https.
    Native,
}

impl ApplicationType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
        }
    }

    /// Parses a wire name.
    pub fn parse(value: &str) -> Option<Self> {
        [ApplicationType::Web, ApplicationType::Native]
            .into_iter()
            .find(|a| a.as_str() == value)
    }
}

/// JWS algorithms the OP signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (the OIDC default).
    #[default]
    RS256,
    /// ECDSA P-256 with SHA-256.
    ES256,
}

impl SigningAlg {
    /// All algorithms, in discovery order.
    pub const ALL: [SigningAlg; 2] = [SigningAlg::RS256, SigningAlg::ES256];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::ES256 => "ES256",
        }
    }

    /// Parses a JOSE name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == value)
    }

    /// The jsonwebtoken algorithm.
    pub fn jwt_alg(self) -> jsonwebtoken::Algorithm {
        match self {
            SigningAlg::RS256 => jsonwebtoken::Algorithm::RS256,
            SigningAlg::ES256 => jsonwebtoken::Algorithm::ES256,
        }
    }
}

/// JWS algorithms the OP accepts on JWTs a client signs: request objects (OIDC Core §6.1) and
/// client assertions (RFC 7523, OIDC Core §9). `HS256` is keyed with the client's secret; `RS256`
/// and `ES256` with a key of the client's registered `jwks` or `jwks_uri`; `none` is an unsigned
/// request object and never authenticates a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientAlg {
    /// Unsigned (`alg: none`): request objects only.
    #[serde(rename = "none")]
    None,
    /// HMAC SHA-256 with the client secret.
    HS256,
    /// RSASSA-PKCS1-v1_5 SHA-256 with a key of the client's JWK set.
    RS256,
    /// ECDSA P-256 SHA-256 with a key of the client's JWK set.
    ES256,
}

impl ClientAlg {
    /// What a request object may be signed with, in discovery order
    /// (`request_object_signing_alg_values_supported`).
    pub const REQUEST_OBJECT: [ClientAlg; 4] = [
        ClientAlg::None,
        ClientAlg::RS256,
        ClientAlg::ES256,
        ClientAlg::HS256,
    ];

    /// What a client assertion may be signed with, in discovery order
    /// (`token_endpoint_auth_signing_alg_values_supported`).
    pub const ASSERTION: [ClientAlg; 3] = [ClientAlg::RS256, ClientAlg::ES256, ClientAlg::HS256];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAlg::None => "none",
            ClientAlg::HS256 => "HS256",
            ClientAlg::RS256 => "RS256",
            ClientAlg::ES256 => "ES256",
        }
    }

    /// Parses a JOSE name (case-sensitive: `None` is not `none`, RFC 7518 §3.1).
    pub fn parse(value: &str) -> Option<Self> {
        Self::REQUEST_OBJECT
            .into_iter()
            .find(|a| a.as_str() == value)
    }

    /// The jsonwebtoken algorithm (none for `none`, which jsonwebtoken does not model).
    pub fn jwt_alg(self) -> Option<jsonwebtoken::Algorithm> {
        match self {
            ClientAlg::None => None,
            ClientAlg::HS256 => Some(jsonwebtoken::Algorithm::HS256),
            ClientAlg::RS256 => Some(jsonwebtoken::Algorithm::RS256),
            ClientAlg::ES256 => Some(jsonwebtoken::Algorithm::ES256),
        }
    }

    /// Whether the key is one of the client's JWK set (not its secret).
    pub fn uses_client_keys(self) -> bool {
        matches!(self, ClientAlg::RS256 | ClientAlg::ES256)
    }
}

/// PKCE code challenge methods (RFC 7636).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeChallengeMethod {
    /// `S256`: BASE64URL(SHA256(verifier)).
    S256,
    /// `plain`: the verifier itself.
    #[serde(rename = "plain")]
    Plain,
}

impl CodeChallengeMethod {
    /// Parses the wire value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "S256" => Some(Self::S256),
            "plain" => Some(Self::Plain),
            _ => None,
        }
    }

    /// Whether `verifier` matches `challenge` under this method (constant time).
    pub fn verify(self, challenge: &str, verifier: &str) -> bool {
        use subtle::ConstantTimeEq;
        let computed = match self {
            Self::Plain => verifier.to_owned(),
            Self::S256 => crate::util::b64(&<sha2::Sha256 as sha2::Digest>::digest(verifier)),
        };
        computed.as_bytes().ct_eq(challenge.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for g in GrantType::ALL {
            assert_eq!(GrantType::parse(g.as_str()), Some(g));
        }
        for m in TokenEndpointAuthMethod::ALL {
            assert_eq!(TokenEndpointAuthMethod::parse(m.as_str()), Some(m));
        }
        for a in SigningAlg::ALL {
            assert_eq!(SigningAlg::parse(a.as_str()), Some(a));
        }
        for r in ResponseType::ALL {
            assert_eq!(ResponseType::parse(r.as_str()), Some(r));
        }
        for m in ResponseMode::ALL {
            assert_eq!(ResponseMode::parse(m.as_str()), Some(m));
        }
        for t in SubjectType::ALL {
            assert_eq!(SubjectType::parse(t.as_str()), Some(t));
        }
        for a in ClientAlg::REQUEST_OBJECT {
            assert_eq!(ClientAlg::parse(a.as_str()), Some(a));
        }
        assert_eq!(ClientAlg::parse("None"), None);
        assert_eq!(ClientAlg::parse("HS512"), None);
        assert_eq!(GrantType::parse("device_code"), None);
        assert_eq!(SigningAlg::parse("none"), None);
    }

    #[test]
    fn response_types_are_sets_of_words() {
        assert_eq!(
            ResponseType::parse("token id_token code").map(ResponseType::as_str),
            Some("code id_token token")
        );
        assert_eq!(
            ResponseType::parse("id_token code").map(ResponseType::as_str),
            Some("code id_token")
        );
        for bad in [
            "",
            "code code",
            "code  token",
            "none",
            "code none",
            "Code",
            "id-token",
        ] {
            assert_eq!(ResponseType::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tokens_never_default_to_or_use_the_query() {
        for r in ResponseType::ALL {
            let mode = r.default_mode();
            assert!(r.allows_mode(mode), "{}", r.as_str());
            assert_eq!(r.allows_mode(ResponseMode::Query), r == ResponseType::CODE);
            assert!(r.allows_mode(ResponseMode::FormPost));
            assert!(r.allows_mode(ResponseMode::Fragment));
        }
        assert_eq!(ResponseType::CODE.default_mode(), ResponseMode::Query);
        let hybrid = ResponseType::parse("code id_token").unwrap();
        assert_eq!(hybrid.default_mode(), ResponseMode::Fragment);
        assert_eq!(
            hybrid.grant_types(),
            vec![GrantType::AuthorizationCode, GrantType::Implicit]
        );
    }

    #[test]
    fn pkce_rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(CodeChallengeMethod::S256.verify(challenge, verifier));
        assert!(!CodeChallengeMethod::S256.verify(challenge, "wrong"));
        assert!(CodeChallengeMethod::Plain.verify("abc", "abc"));
        assert!(!CodeChallengeMethod::Plain.verify("abc", "abd"));
        assert_eq!(CodeChallengeMethod::parse("s256"), None);
    }
}
