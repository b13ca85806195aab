@seed-003 @kong-guide @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC guide "user-info-auth": the token is checked at the userinfo endpoint
  https://developer.konghq.com/how-to/configure-oidc-with-user-info-auth/ — as the introspection
  guide, but the IdP's userinfo endpoint decides.

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["userinfo", "password"], "bearer_token_param_type": ["header"], "upstream_user_info_header": "x-userinfo", "cache_tokens_salt": "c2FsdA=="}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    And the caller keeps the echoed header "Authorization" as "TOKEN"

  Scenario: The token's userinfo is fetched and the request accepted
    When the caller sends GET "/anything" with the header "Authorization" set to "${TOKEN}"
    Then the gateway answers 200
    And the echo shows the header "Authorization" with "${TOKEN}"
    And the echo shows the header "X-Userinfo" starting with "ey"

  Scenario: A token the userinfo endpoint refuses is 401
    When the caller sends GET "/anything" with the header "Authorization" set to "Bearer not-a-real-token"
    Then the gateway answers 401 with the message "Unauthorized"
