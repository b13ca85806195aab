@kong-step-up @needs-kong-oidc @needs-gateway-admin @needs-gluu-acrs
Feature: acr step-up on Kong's openid-connect (a gatecheck extension, `required_acr_values`)
  A route that requires an `acr` sends a browser whose session is too weak back to the OP with
  `acr_values`, and answers an API with RFC 9470's `insufficient_user_authentication`
  challenge (https://www.rfc-editor.org/rfc/rfc9470#section-3). The reference OP's `otp`
  method (password, then a one-time password) is the stronger one, its default
  `auth_ldap_server` (password) the weaker.

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["authorization_code", "session"]}
      """

  Scenario: A password session is stepped up to otp; the new session serves the route
    When the browser opens "/anything" through the gateway
    Then the OP asks for a username and password
    When the user logs in as "alex" with password "doe"
    Then the browser's page echoes the header "Authorization" starting with "Bearer ey"
    When the administrator applies the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["authorization_code", "session"], "required_acr_values": ["otp"]}
      """
    And the page's script fetches "/anything" through the gateway asking for JSON
    Then the browser gets 401 with a "WWW-Authenticate" header containing 'error="insufficient_user_authentication"'
    And the browser gets 401 with a "WWW-Authenticate" header containing 'acr_values="otp"'
    When the browser opens "/anything" through the gateway
    Then the gateway redirects the browser to the OP with "acr_values=otp"
    And the OP asks for a username and password
    When the user logs in as "alex" with password "doe"
    Then the OP asks the user to enroll an authenticator
    When the user enrolls an authenticator from the QR code
    Then the OP asks for a one-time password
    When the user enters the one-time password from the authenticator
    Then the browser's page echoes the header "Authorization" starting with "Bearer ey"
    When the browser opens "/anything" through the gateway
    Then the browser was not sent to the OP

  Scenario: An acr value that cannot travel in acr_values is refused at config time
    When the administrator tries to add the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "auth_methods": ["authorization_code", "session"], "required_acr_values": ["two words"]}
      """
    Then the Admin API answers 400 naming the field "config.required_acr_values"
