@seed-003 @kong-guide @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC guide "password-grant": the gateway exchanges the caller's username and password
  https://developer.konghq.com/how-to/configure-oidc-with-password-grant/ — the caller sends
  `-u alex:doe`; the plugin runs the password grant at the IdP with its own client and sends the
  access token upstream as `Authorization: Bearer`.

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["password"], "password_param_type": ["header"], "cache_tokens_salt": "c2FsdA=="}
      """

  Scenario: Basic credentials are exchanged for a token the upstream sees
    When the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 200
    And the echo shows the header "Authorization" starting with "Bearer ey"
    When the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 200

  Scenario: A wrong password is 401
    When the caller sends GET "/anything" with the basic credentials "alex:wrong"
    Then the gateway answers 401 with the message "Unauthorized"
    And the gateway's challenge is "Bearer realm=\"${op.issuer_host}\", error=\"invalid_token\""

  Scenario: No credentials at all is 401 without an error code
    When the caller sends GET "/anything"
    Then the gateway answers 401 with the message "Unauthorized"
    And the gateway's challenge is "Bearer realm=\"${op.issuer_host}\""

  Scenario: Credentials in the query are not looked at when only the header is configured
    When the caller sends GET "/anything?username=alex&password=doe"
    Then the gateway answers 401 with the message "Unauthorized"
