@seed-003 @kong-guide @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC guide "acl-auth": the token's scopes are the groups the acl plugin judges
  https://developer.konghq.com/how-to/configure-oidc-with-acl-auth/ — openid-connect's
  `authenticated_groups_claim: [scope]` makes the token's scope values the request's
  authenticated groups; the upstream sees them as X-Authenticated-Groups, and the acl plugin
  on the same service allows or denies by them.

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["password"], "authenticated_groups_claim": ["scope"], "cache_tokens_salt": "c2FsdA=="}
      """

  Scenario: The guide: the scopes are the groups, deny openid is 403, then allow openid is 200
    When the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 200
    And the echo shows the header "X-Authenticated-Groups" with "openid, email, profile"
    When the administrator applies the plugin "acl" to the service "example-service" with:
      """
      {"deny": ["openid"]}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 403 with the message "You cannot consume this service"
    When the administrator applies the plugin "acl" to the service "example-service" with:
      """
      {"allow": ["openid"]}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 200
    And the echo shows the header "X-Authenticated-Groups" with "openid, email, profile"

  Scenario: A group the token does not have is not allowed in
    When the administrator applies the plugin "acl" to the service "example-service" with:
      """
      {"allow": ["admin"]}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 403 with the message "You cannot consume this service"

  Scenario: A deny list of groups the token does not have lets the request through
    When the administrator applies the plugin "acl" to the service "example-service" with:
      """
      {"deny": ["admin", "banned"]}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe"
    Then the gateway answers 200
    And the echo shows the header "X-Authenticated-Groups" with "openid, email, profile"

  Scenario: A client cannot claim groups of its own
    When the administrator applies the plugin "acl" to the service "example-service" with:
      """
      {"allow": ["admin"]}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:doe" and the header "X-Authenticated-Groups" set to "admin"
    Then the gateway answers 403 with the message "You cannot consume this service"

  Scenario: A wrong password never reaches the acl plugin
    When the administrator applies the plugin "acl" to the service "example-service" with:
      """
      {"allow": ["openid"]}
      """
    And the caller sends GET "/anything" with the basic credentials "alex:wrong"
    Then the gateway answers 401 with the message "Unauthorized"
    And the gateway's challenge is "Bearer realm=\"${op.issuer_host}\", error=\"invalid_token\""

  Scenario: The acl plugin refuses a config with both lists, naming the check
    When the administrator tries to add the plugin "acl" to the service "example-service" with:
      """
      {"allow": ["openid"], "deny": ["email"]}
      """
    Then the Admin API answers 400 naming the field "@entity"
