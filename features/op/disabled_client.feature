@seed-004 @reference-only
Feature: Disable client entry: a disabled client is refused wherever it shows up
  Gluu Server 4.2's OP page, "Disable client entry"
  (https://gluu.org/docs/gluu-server/4.2/admin-guide/openid-connect/#disable-client-entry):
  instead of deleting a client that should be inactive, the administrator ticks its Disabled
  checkbox. The client stays configured, but the OP no longer serves it. In the stack's OP config
  (scenarios/op.yml) retired-app has disabled: true; it was an ordinary code-flow client with the
  client_credentials grant and its secret still matches.

  Background:
    Given the "op" stack is running

  Scenario: A disabled client cannot send users to the authorization endpoint
    When the "retired-app" client sends the user to the OP with response type "code"
    Then the OP shows the error page "invalid_client" and does not send the user to the client

  Scenario: A disabled client gets no token at the token endpoint
    When the "retired-app" client asks the token endpoint for a client_credentials token
    Then the OP answers 401 with the error "invalid_client"

  Scenario: A disabled client cannot introspect tokens
    When the "reporting" client asks the token endpoint for a client_credentials token
    Then the token endpoint answers an access token
    When the "retired-app" client introspects the access token
    Then the OP answers 401 with the error "access_denied"

  Scenario: A disabled client cannot revoke tokens
    When the "reporting" client asks the token endpoint for a client_credentials token
    And the "retired-app" client revokes the access token
    Then the OP answers 401 with the error "invalid_client"
    When the "reporting" client introspects the access token
    Then the introspection answers the token active with the scopes "profile email employee reports"

  Scenario: The same requests from an enabled client succeed
    When the "reporting" client asks the token endpoint for a client_credentials token
    Then the token endpoint answers an access token
    When the "reporting" client introspects the access token
    Then the introspection answers the token active with the scopes "profile email employee reports"
