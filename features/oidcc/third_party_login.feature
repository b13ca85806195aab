@needs-dynamic-registration @oidcc-3rdparty-init-login
Feature: 3rd Party-Init OP certification plan
  The modules of the OpenID Foundation's oidcc-3rdparty-init-login-certification-test-plan
  (OpenID Connect Core 1.0 §4, Initiating Login from a Third Party; OpenID Connect Dynamic
  Client Registration 1.0 §2, initiate_login_uri). A client registers the https URI at which a
  third party (the OP's application portal, a link in an e-mail) starts its login; the OP must
  accept it and echo it back when the registration is read, and must refuse one that is not
  https with invalid_client_metadata. The third party sends the user there with the issuer in
  iss (and may add login_hint and target_link_uri); the RP checks that iss is the OP it knows
  and sends the user to that OP's authorization endpoint, which must then complete the login.

  Background:
    Given the "oidcc" stack is running

  Scenario: oidcc-3rd_party-init-login
    When the certification RP registers a client for response type "code" with:
      """
      {"initiate_login_uri": "https://127.0.0.1/initiate_login"}
      """
    Then the OP registers the client
    And the registration and a read at its registration_client_uri echo "initiate_login_uri"
    When a third party sends the user to the RP's initiate_login_uri with "iss=(issuer)&login_hint=admin&target_link_uri=(callback)"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

  Scenario: oidcc-3rd_party-init-login-nohttps
    When the certification RP registers a client for response type "code" with:
      """
      {"initiate_login_uri": "http://127.0.0.1/initiate_login"}
      """
    Then the OP refuses the registration with "invalid_client_metadata"
