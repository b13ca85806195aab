@seed-003 @kong-guide @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC guide "jwt-auth": a stateless JWT access token in the query
  https://developer.konghq.com/how-to/configure-oidc-with-jwt-auth/ — the password grant gets a
  JWT; then the JWT alone, as `?access_token=`, is verified locally (signature with the IdP's
  keys, issuer, expiry) without calling the IdP.

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["bearer", "password"], "bearer_token_param_type": ["query"], "cache_tokens_salt": "c2FsdA=="}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    And the caller keeps the echoed header "Authorization" without the "Bearer " prefix as "TOKEN"

  Scenario: The JWT in the query is accepted and hidden from the upstream
    When the caller sends GET "/anything?access_token=${TOKEN}&hello=world"
    Then the gateway answers 200
    And the echo shows the header "Authorization" with "Bearer ${TOKEN}"
    And the echo shows no argument "access_token"

  Scenario: Only the query is searched: the same token in a header is not a credential
    When the caller sends GET "/anything" with the header "Authorization" set to "Bearer ${TOKEN}"
    Then the gateway answers 401 with the message "Unauthorized"

  Scenario: A token whose signature was altered is refused
    When the caller keeps "TOKEN" with its signature altered as "FORGED"
    And the caller sends GET "/anything?access_token=${FORGED}"
    Then the gateway answers 401 with the message "Unauthorized"
    And the gateway's challenge is "Bearer realm=\"${op.issuer_host}\", error=\"invalid_token\""

  Scenario: A token that is not a JWT is refused when only bearer verification is enabled
    When the caller sends GET "/anything?access_token=opaque-token"
    Then the gateway answers 401 with the message "Unauthorized"
