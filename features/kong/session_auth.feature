@seed-003 @kong-guide @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC guide "session-auth": the password grant leaves a session cookie
  https://developer.konghq.com/how-to/configure-oidc-with-session-auth/ — `-u alex:doe
  --cookie-jar example-user` stores the session; `--cookie example-user` alone is then enough.

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["session", "password"], "cache_tokens_salt": "c2FsdA=="}
      """

  Scenario: The session cookie alone authenticates the next request
    When the caller sends GET "/anything" with the basic credentials "alex:doe" keeping the cookies as "example-user"
    Then the gateway answers 200
    And the gateway sets a session cookie "session"
    When the caller sends GET "/anything" with the cookies "example-user"
    Then the gateway answers 200
    And the echo shows the header "Authorization" starting with "Bearer ey"
    And the echo shows no header "Cookie"

  Scenario: A cookie the gateway did not seal is not a session
    When the caller sends GET "/anything" with the header "Cookie" set to "session=forged"
    Then the gateway answers 401 with the message "Unauthorized"
