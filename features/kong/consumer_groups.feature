@seed-003 @kong-guide @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC guide "consumer-groups": a token claim names the Kong consumer group
  https://developer.konghq.com/how-to/configure-oidc-with-consumer-groups/ — the caller's own
  client credentials (`kong:<secret>`) are exchanged at the IdP; the token's `tier: gold` claim
  (`consumer_groups_claim: [tier]`) maps the request to the consumer group gold, which the
  upstream sees as X-Consumer-Groups.

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "auth_methods": ["client_credentials"], "consumer_groups_claim": ["tier"], "cache_tokens_salt": "c2FsdA=="}
      """

  Scenario: The guide: a wrong secret is 401; once the group gold exists the request is in it
    When the caller sends GET "/anything" with the basic credentials "kong:wrong-secret"
    Then the gateway answers 401 with the message "Unauthorized"
    When the administrator applies the consumer group "gold"
    And the caller sends GET "/anything" with the basic credentials "kong:${sites.kong.client_secret}"
    Then the gateway answers 200
    And the echo shows the header "Authorization" starting with "Bearer ey"
    And the echo shows the header "X-Consumer-Groups" with "gold"

  Scenario: Valid credentials but no consumer group named by the claim is 403
    When the caller sends GET "/anything" with the basic credentials "kong:${sites.kong.client_secret}"
    Then the gateway answers 403 with the message "Forbidden"
    And the gateway's challenge is "Bearer realm=\"${op.issuer_host}\", error=\"insufficient_scope\""

  Scenario: Only the claim's group is mapped, and a client cannot name its own
    When the administrator applies the consumer group "gold"
    And the administrator applies the consumer group "platinum"
    And the caller sends GET "/anything" with the basic credentials "kong:${sites.kong.client_secret}" and the header "X-Consumer-Groups" set to "platinum"
    Then the gateway answers 200
    And the echo shows the header "X-Consumer-Groups" with "gold"
