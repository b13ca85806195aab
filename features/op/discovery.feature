@seed-004 @stack-per-feature
Feature: Configuration / Discovery: the configuration endpoint and WebFinger
  Gluu Server 4.2's OP page, "Configuration / Discovery"
  (https://gluu.org/docs/gluu-server/4.2/admin-guide/openid-connect/#configuration-discovery):
  the configuration endpoint, https://{hostname}/.well-known/openid-configuration, publishes the
  core details of the OpenID Connect service, and the Gluu Server supports WebFinger as OpenID
  Connect Discovery 1.0 §2 specifies it: asked about an account with the issuer relation
  http://openid.net/specs/connect/1.0/issuer, it names the OP's issuer.
  Nothing here needs more than an OP: these scenarios run against any target.

  Background:
    Given the "op" stack is running

  Scenario: The configuration endpoint publishes the OP's core details
    Then the OP's discovery document is served at its issuer + "/.well-known/openid-configuration" and names that issuer
    And the OP's discovery document passes the suite's checks
    And the OP's discovery document names the endpoints "authorization_endpoint, token_endpoint, userinfo_endpoint, jwks_uri, end_session_endpoint" under the issuer's origin
    And the OP's discovery document lists "code" in response_types_supported
    And the OP's discovery document lists "id_token token" in response_types_supported
    And the OP's discovery document lists "code id_token" in response_types_supported
    And the OP's discovery document lists "public" in subject_types_supported
    And the OP's discovery document lists "openid" in scopes_supported

  @needs-dynamic-registration
  Scenario: The configuration endpoint names the registration endpoint
    Then the OP's discovery document names the endpoints "registration_endpoint" under the issuer's origin

  Scenario: WebFinger names the issuer for an account
    When the RP asks WebFinger about "acct:admin@example.org" with the rel "http://openid.net/specs/connect/1.0/issuer"
    Then WebFinger names the OP's issuer for "acct:admin@example.org"

  Scenario: WebFinger asked for another link relation answers no issuer link
    When the RP asks WebFinger about "acct:admin@example.org" with the rel "http://webfinger.net/rel/profile-page"
    Then WebFinger answers no issuer link

  Scenario Outline: WebFinger refuses <case>
    When the RP asks WebFinger about "<resource>" with the rel "http://openid.net/specs/connect/1.0/issuer"
    Then the OP answers 400 with the error "invalid_request"

    Examples:
      | case                 | resource   |
      | a missing resource   | (none)     |
      | a resource not a URI | not an URI |
