@seed-003 @kong-guide @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC guide "client-credentials": the caller's own client credentials
  https://developer.konghq.com/how-to/configure-oidc-with-client-credentials/ — the caller sends
  its client id and secret as Basic credentials; the plugin runs the client-credentials grant with
  them (not with its own client).

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["client_credentials"], "client_credentials_param_type": ["header"], "cache_tokens_salt": "c2FsdA=="}
      """

  Scenario: The client's id and secret get a token the upstream sees
    When the caller sends GET "/anything" with the basic credentials "kong:${sites.kong.client_secret}"
    Then the gateway answers 200
    And the echo shows the header "Authorization" starting with "Bearer ey"
    And the echo shows the header "X-Credential-Identifier" with "kong"

  Scenario: A wrong client secret is 401
    When the caller sends GET "/anything" with the basic credentials "kong:wrong-secret"
    Then the gateway answers 401 with the message "Unauthorized"

  Scenario: A user's password is not a client secret
    When the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 401 with the message "Unauthorized"
