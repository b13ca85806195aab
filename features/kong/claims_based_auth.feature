@seed-003 @kong-guide @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC guide "claims-based-auth": the token must carry the required scope
  https://developer.konghq.com/how-to/configure-oidc-with-claims-based-auth/ —
  `scopes_required: [openid]` on the claim `scope`; separate values are alternatives (OR), values in
  one element separated by spaces must all be there (AND).

  Background:
    Given the "kong-oidc" stack is running

  Scenario: A token with openid in its scope is accepted, by password and then as a bearer token
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["password", "bearer"], "scopes_claim": ["scope"], "scopes_required": ["openid"], "cache_tokens_salt": "c2FsdA=="}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 200
    When the caller keeps the echoed header "Authorization" as "TOKEN"
    And the caller sends GET "/anything" with the header "Authorization" set to "${TOKEN}"
    Then the gateway answers 200

  Scenario: A required scope the token lacks is 403
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["password", "bearer"], "scopes_required": ["openid admin"], "cache_tokens_salt": "c2FsdA=="}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 403 with the message "Forbidden"
    And the gateway's challenge is "Bearer realm=\"${op.issuer_host}\", error=\"insufficient_scope\""

  Scenario: Either of two alternatives is enough
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["password"], "scopes_required": ["admin", "email"], "cache_tokens_salt": "c2FsdA=="}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 200
