@seed-004 @reference-only @needs-gluu-acrs
Feature: Setting the default ACR: a client's default_acr_values, and acr_values in the request
  Gluu Server 4.2's OP page, "Authentication" and "Setting the Default ACR"
  (https://gluu.org/docs/gluu-server/4.2/admin-guide/openid-connect/#authentication): the
  acr_values parameter, or else the client's default_acr_values, names the authentication
  method (a custom script such as basic or otp). The ID token's acr says which one ran.
  gatecheck's OP offers auth_ldap_server (its default), basic and otp. In the stack
  (scenarios/op.yml) basic-app's default ACR is basic, bank's is otp, and web-app has none.

  Background:
    Given the "op" stack is running

  Scenario: Without acr_values the client's default ACR picks the method
    When the user signs in to the "basic-app" client as "admin" with password "secret"
    Then the ID token's acr is "basic"

  Scenario: acr_values in the request wins over the client's default
    When the user signs in to the "basic-app" client with "acr_values=auth_ldap_server" as "admin" with password "secret"
    Then the ID token's acr is "auth_ldap_server"

  Scenario: A client without a default ACR gets the OP's default method
    When the user signs in to the "web-app" client as "admin" with password "secret"
    Then the ID token's acr is "auth_ldap_server"

  Scenario: An acr value the OP does not offer falls back to the client's default
    When the user signs in to the "basic-app" client with "acr_values=u2f" as "admin" with password "secret"
    Then the ID token's acr is "basic"

  @needs-otp-enrollment
  Scenario: A client whose default ACR is otp: the user enrolls an authenticator and types a code
    When the "bank" client sends the user to the OP with response type "code"
    Then the OP asks for a username and password
    When the user logs in as "admin" with password "secret"
    Then the OP asks the user to enroll an authenticator
    When the user enrolls an authenticator from the QR code
    Then the OP asks for a one-time password
    When the user enters the one-time password from the authenticator
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint answers an access token and an ID token
    And the ID token's acr is "otp"
    And the ID token's amr includes "otp"

  Scenario: acr_values=basic in the request spares the otp default: no one-time password is asked
    When the "bank" client sends the user to the OP with response type "code" and "acr_values=basic"
    And the user logs in as "admin" with password "secret"
    Then the OP sends the user back to the client without asking for consent
    And the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint answers an access token and an ID token
    And the ID token's acr is "basic"
