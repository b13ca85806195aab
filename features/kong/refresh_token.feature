@seed-003 @kong-guide @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC guide "refresh-token": a refresh token in a header is exchanged at the IdP
  https://developer.konghq.com/how-to/configure-oidc-with-refresh-token/ — the password grant's
  refresh token reaches the upstream as Refresh-Token; sent back alone in that header, the plugin
  runs the refresh-token grant.

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["refresh_token", "password"], "refresh_token_param_type": ["header"], "refresh_token_param_name": "refresh_token", "upstream_refresh_token_header": "refresh_token", "cache_tokens_salt": "c2FsdA=="}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    And the caller keeps the echoed header "Refresh-Token" as "REFRESH_TOKEN"

  Scenario: The refresh token alone gets a new access token
    When the caller sends GET "/anything" with the header "Refresh-Token" set to "${REFRESH_TOKEN}"
    Then the gateway answers 200
    And the echo shows the header "Authorization" starting with "Bearer ey"

  Scenario: A refresh token the IdP does not know is 401
    When the caller sends GET "/anything" with the header "Refresh-Token" set to "not-a-refresh-token"
    Then the gateway answers 401 with the message "Unauthorized"
