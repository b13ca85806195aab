@seed-004
Feature: Dynamic client registration: the registration endpoint, its switch, and client expiry
  Gluu Server 4.2's OP page, "Dynamic client registration"
  (https://gluu.org/docs/gluu-server/4.2/admin-guide/openid-connect/#dynamic-client-registration):
  the registration URL (OpenID Connect Dynamic Client Registration 1.0) is found at the
  configuration endpoint. The oxAuth property dynamicRegistrationEnabled switches the feature on
  or off, and dynamicRegistrationExpirationTime says how long a registered client lives. In
  gatecheck's OP (reference/op/README.md) they are dynamic_registration and
  registration.client_lifetime; the stack (scenarios/op.yml) sets a lifetime of one day
  (86400 seconds). The client's expiry is client_secret_expires_at in the registration answer;
  after it the client is unknown everywhere. Time is the OP's clock, moved forward by the steps.

  @needs-dynamic-registration
  Scenario: A client registers at the registration endpoint the discovery document names, then signs a user in
    Given the "op" stack is running
    When the RP registers the client "self-service" with:
      """
      {"redirect_uris": ["https://self-service.example.org/callback"]}
      """
    Then the OP registers the client with a client_id and a client_secret
    When the "self-service" client sends the user to the OP with response type "code"
    And the user logs in as "admin" with password "secret"
    Then the OP asks to allow "openid profile"
    When the user allows the requested permissions
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint answers an access token and an ID token

  @needs-dynamic-registration @reference-only
  Scenario: dynamicRegistrationExpirationTime: the registration says when the client expires
    Given the "op" stack is running
    When the RP registers the client "short-lived" with:
      """
      {"grant_types": ["authorization_code", "client_credentials"]}
      """
    Then the OP registers the client with a client_id and a client_secret
    And the registration's client_secret_expires_at is 86400 seconds after its client_id_issued_at

  @needs-dynamic-registration @reference-only
  Scenario: A registered client works until it expires
    Given the "op" stack is running
    And the RP registered the client "short-lived" with:
      """
      {"grant_types": ["authorization_code", "client_credentials"]}
      """
    When 86340 seconds pass
    And the "short-lived" client asks the token endpoint for a client_credentials token
    Then the token endpoint answers an access token

  @needs-dynamic-registration @reference-only
  Scenario: An expired client is refused at the authorization, token and registration endpoints
    Given the "op" stack is running
    And the RP registered the client "short-lived" with:
      """
      {"grant_types": ["authorization_code", "client_credentials"]}
      """
    When 86401 seconds pass
    And the "short-lived" client sends the user to the OP with response type "code"
    Then the OP shows the error page "invalid_client" and does not send the user to the client
    When the "short-lived" client asks the token endpoint for a client_credentials token
    Then the OP answers 401 with the error "invalid_client"
    When the RP reads the "short-lived" client's registration at its registration_client_uri
    Then the OP answers 401 with the error "invalid_token"

  @reference-only
  Scenario: dynamicRegistrationEnabled false: the OP refuses every registration
    Given the "op" stack is running with the OP's "dynamic_registration" set to "false"
    When the RP registers the client "self-service" with:
      """
      {"redirect_uris": ["https://self-service.example.org/callback"]}
      """
    Then the registration is refused with 400 and "access_denied"

  @needs-dynamic-registration
  Scenario Outline: A registration with <problem> is refused with <error>
    Given the "op" stack is running
    When the RP registers the client "broken" with:
      """
      <metadata>
      """
    Then the registration is refused with 400 and "<error>"

    Examples:
      | problem                          | metadata                                                               | error                   |
      | a redirect URI with a fragment   | {"redirect_uris": ["https://broken.example.org/callback#x"]}           | invalid_redirect_uri    |
      | no redirect URI for the code grant | {"redirect_uris": []}                                                | invalid_redirect_uri    |
      | an unknown grant type            | {"grant_types": ["urn:example:unknown"]}                               | invalid_client_metadata |
