@seed-003 @kong-guide @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC guide "consumers": the token's preferred_username names a Kong consumer
  https://developer.konghq.com/how-to/configure-oidc-with-consumers/ — authentication succeeds,
  but without a consumer alex the request is forbidden; once the consumer exists the upstream
  sees it.

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["password"], "consumer_claims": [["preferred_username"]], "consumer_by": ["username"], "cache_tokens_salt": "c2FsdA=="}
      """

  Scenario: No consumer is 403, the consumer alex is 200 and seen upstream
    When the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 403 with the message "Forbidden"
    When the administrator adds the consumer "alex" through the Admin API
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 200
    And the echo shows the header "X-Consumer-Username" with "alex"
    And the echo shows the header "X-Consumer-Id" starting with ""
