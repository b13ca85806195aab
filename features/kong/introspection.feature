@seed-003 @kong-guide @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC guide "introspection": the IdP says whether the token is active
  https://developer.konghq.com/how-to/configure-oidc-with-introspection/ — the token from the
  password grant is sent back as the whole `Authorization` value and introspected at the IdP
  (its audience contains kong, as the guide's kong-audience mapper makes it).

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["introspection", "password"], "bearer_token_param_type": ["header"], "cache_tokens_salt": "c2FsdA=="}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    And the caller keeps the echoed header "Authorization" as "TOKEN"

  Scenario: The token is introspected and accepted
    When the caller sends GET "/anything" with the header "Authorization" set to "${TOKEN}"
    Then the gateway answers 200
    And the echo shows the header "Authorization" with "${TOKEN}"

  Scenario: A token the IdP never issued is inactive, so 401
    When the caller sends GET "/anything" with the header "Authorization" set to "Bearer not-a-real-token"
    Then the gateway answers 401 with the message "Unauthorized"
    And the gateway's challenge is "Bearer realm=\"${op.issuer_host}\", error=\"invalid_token\""
