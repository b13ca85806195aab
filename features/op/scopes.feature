@seed-004
Feature: Scopes: OpenID scopes release claims, OAuth scopes do not, and "Allow for dynamic registration"
  Gluu Server 4.2's OP page, "Scopes"
  (https://gluu.org/docs/gluu-server/4.2/admin-guide/openid-connect/#scopes): a scope is the
  extent of access; in an OpenID Connect sign-in, scopes stand for the release of user claims.
  Scope types: OpenID scopes map user claims (profile, email, ...), OAuth scopes have no claims
  and mean something to a resource server, Dynamic scopes get their claims from the Dynamic
  Scopes interception script. "Allow for dynamic registration" says whether a dynamically
  registered client may get the scope.
  The stack (scenarios/op.yml) publishes employee, a custom OpenID scope mapped to the user's
  department attribute, and reports, an OAuth scope not allowed for dynamic registration; the
  administrator's reporting client has both. A Dynamic scope needs Gluu's interception script,
  which gatecheck's OP does not run: its config refuses scope_type dynamic at start.
  Spontaneous scopes (the same section's "Spontaneous scopes") are the seed 002 tutorial's
  subject: features/spontaneous_scope.feature.

  @reference-only
  Scenario: OpenID scopes release their claims at the userinfo endpoint
    Given the "op" stack is running
    When the "reporting" client sends the user to the OP with response type "code" and "scope=openid profile email"
    And the user logs in as "admin" with password "secret"
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint grants exactly the scopes "openid profile email"
    And the userinfo endpoint answers the claims "sub, name, given_name, family_name, email, email_verified"

  @reference-only
  Scenario: Only the requested scopes' claims are released
    Given the "op" stack is running
    When the "reporting" client sends the user to the OP with response type "code" and "scope=openid email"
    And the user logs in as "admin" with password "secret"
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the userinfo endpoint answers the claims "sub, email"
    And the userinfo endpoint does not answer the claims "name, given_name, family_name, phone_number"

  @reference-only
  Scenario: A custom OpenID scope releases the user attributes it is mapped to
    Given the "op" stack is running
    When the "reporting" client sends the user to the OP with response type "code" and "scope=openid employee"
    And the user logs in as "admin" with password "secret"
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint grants exactly the scopes "openid employee"
    And the userinfo endpoint answers the claims "sub, department"
    And the userinfo endpoint does not answer the claims "name, email"

  @reference-only
  Scenario: An OAuth scope is granted but releases no claims
    Given the "op" stack is running
    When the "reporting" client sends the user to the OP with response type "code" and "scope=openid reports"
    And the user logs in as "admin" with password "secret"
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint grants exactly the scopes "openid reports"
    And the userinfo endpoint answers no claim but sub
    When the "reporting" client introspects the access token
    Then the introspection answers the token active with the scopes "openid reports"

  @reference-only
  Scenario: A client is not granted a scope it was not given
    Given the "op" stack is running
    When the "web-app" client sends the user to the OP with response type "code" and "scope=openid profile reports"
    And the user logs in as "admin" with password "secret"
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint grants exactly the scopes "openid profile"

  @needs-dynamic-registration @reference-only
  Scenario: A scope not allowed for dynamic registration is not given to a registered client
    Given the "op" stack is running
    When the RP registers the client "self-service" with:
      """
      {"redirect_uris": ["https://self-service.example.org/callback"]}
      """
    Then the OP registers the client with a client_id and a client_secret
    And the registration's scope includes "openid profile email" but not "reports"
    When the "self-service" client sends the user to the OP with response type "code" and "scope=openid profile reports"
    And the user logs in as "admin" with password "secret"
    And the user allows the requested permissions
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint grants exactly the scopes "openid profile"

  @needs-dynamic-registration @reference-only
  Scenario: Asking to register a scope not allowed for dynamic registration is refused
    # Gluu 4.2 drops the scope silently; gatecheck refuses the registration naming the field
    # (docs/differences.md, "dynamic registration").
    Given the "op" stack is running
    When the RP registers the client "self-service" with:
      """
      {"redirect_uris": ["https://self-service.example.org/callback"], "scope": "openid profile reports"}
      """
    Then the registration is refused with 400 and "invalid_client_metadata" naming "reports"
