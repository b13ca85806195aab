@seed-000
Feature: OpenID Connect stepped-up authentication (seed 000)
  The gateway is an OpenID Connect relying party (gluu-openid-connect) in front of the demo
  website. Every path needs the auth_ldap_server ACR (username and password); /payments/??
  needs otp: the OP asks for the password, enrolls an authenticator from a QR code on first
  use, then asks for the one-time password.

  @needs-gluu-acrs
  Scenario: The OP offers the otp method
    Given the "stepped-up-otp" stack is running
    Then the OP's discovery document lists "otp" in acr_values_supported
    And the OP's discovery document lists "auth_ldap_server" in acr_values_supported

  @needs-gluu-plugins @needs-gateway-admin @needs-otp-enrollment
  Scenario: The tutorial step by step: password for the site, one-time password for Payments
    Given the "stepped-up-otp" stack is running
    When the browser opens "/" through the gateway
    Then the gateway redirects the browser to the OP with "acr_values=auth_ldap_server"
    And the OP asks for a username and password
    When the user logs in as "admin" with password "secret"
    Then the OP asks to allow "openid profile email"
    When the user allows the requested permissions
    Then the browser is on the website's "/" page
    And the browser sees "Welcome to Gluu Security !!!"
    And the website received the header "kong-openidc-userinfo-email" with "admin@example.org"
    And the website received the header "kong-openidc-id-token-acr" with "auth_ldap_server"
    When the user clicks "Flights"
    Then the browser was not sent to the OP
    And the browser sees "Flights Available"
    When the user clicks "Payments"
    Then the gateway redirects the browser to the OP with "acr_values=otp"
    And the gateway redirects the browser to the OP with "prompt=login"
    And the OP asks for a username and password
    When the user logs in as "admin" with password "secret"
    Then the OP asks the user to enroll an authenticator
    When the user enrolls an authenticator from the QR code
    Then the authenticator is enrolled for "admin" by "Gluu Inc"
    And the OP asks for a one-time password
    When the user enters the one-time password from the authenticator
    Then the browser is on the website's "/payments/" page
    And the browser sees "Payment Status"
    And the browser sees "Wow Great!!! Your payment has been done successfully."
    And the website received the header "kong-openidc-id-token-acr" with "otp"
    When the user clicks "Flights"
    Then the browser was not sent to the OP
    And the browser sees "Flights Available"

  @needs-gluu-plugins @needs-gateway-admin
  Scenario: Logout ends the gateway session and the OP session
    Given the "stepped-up-otp" stack is running
    When the browser opens "/home/" through the gateway
    And the user logs in as "admin" with password "secret"
    And the user allows the requested permissions
    Then the browser sees "Welcome to Gluu Security !!!"
    When the user clicks "Logout"
    Then the browser is on the website's "/logout_redirect_uri" page
    And the browser sees "Successfully logout!!!"
    When the browser opens "/flights/" through the gateway
    Then the gateway redirects the browser to the OP with "acr_values=auth_ldap_server"
    And the OP asks for a username and password

  @needs-gluu-plugins @needs-gateway-admin
  Scenario: A script on the page cannot follow the login redirect and is told what is missing
    Given the "stepped-up-otp" stack is running
    When the page's script fetches "/flights/" through the gateway asking for JSON
    Then the browser gets 401 with a "WWW-Authenticate" header containing "Bearer"
    When the browser opens "/flights/" through the gateway
    And the user logs in as "admin" with password "secret"
    And the user allows the requested permissions
    Then the browser sees "Flights Available"
    When the page's script fetches "/payments/" through the gateway asking for JSON
    Then the browser gets 401 with a "WWW-Authenticate" header containing "insufficient_user_authentication"
    And the browser gets 401 with a "WWW-Authenticate" header containing "otp"

  @needs-gluu-plugins @needs-gateway-admin
  Scenario: A wrong password is refused and the user may try again
    Given the "stepped-up-otp" stack is running
    When the browser opens "/" through the gateway
    And the user logs in as "admin" with password "not-the-password"
    Then the OP says "Wrong username or password."
    And the OP asks for a username and password
    When the user logs in as "admin" with password "secret"
    Then the OP asks to allow "openid"

  @needs-gluu-plugins @needs-gateway-admin @needs-otp-enrollment
  Scenario: A wrong one-time password never reaches Payments
    Given the "stepped-up-otp" stack is running
    When the browser opens "/payments/" through the gateway
    Then the gateway redirects the browser to the OP with "acr_values=otp"
    When the user logs in as "admin" with password "secret"
    And the user enrolls an authenticator from the QR code
    And the user enters a wrong one-time password
    Then the OP says "Wrong or already used one-time password."
    And the browser does not see "Payment Status"
    When the user enters the one-time password from the authenticator
    Then the OP asks to allow "openid"
    When the user allows the requested permissions
    Then the browser sees "Payment Status"

  @needs-gluu-plugins @needs-gateway-admin @needs-otp-enrollment
  Scenario: A one-time password cannot be used twice
    Given the "stepped-up-otp" stack is running
    When the browser opens "/payments/" through the gateway
    And the user logs in as "admin" with password "secret"
    And the user enrolls an authenticator from the QR code
    And the user enters the one-time password from the authenticator
    And the user allows the requested permissions
    Then the browser sees "Payment Status"
    When a new browser opens "/payments/" through the gateway
    And the user logs in as "admin" with password "secret"
    Then the OP asks for a one-time password
    When the user enters the same one-time password again
    Then the OP says "Wrong or already used one-time password."

  @reference-only
  Scenario: The loop breaker: an OP without otp cannot satisfy Payments
    Given the "stepped-up-otp" stack is running with the OP's "otp" method disabled
    Then the OP's discovery document does not list "otp" in acr_values_supported
    When the browser opens "/payments/" through the gateway
    Then the gateway redirects the browser to the OP with "acr_values=otp"
    When the user logs in as "admin" with password "secret"
    And the user allows the requested permissions
    Then the browser gets 403 with the message "The resource requires one of the [otp] acr(s), you have [auth_ldap_server]"
