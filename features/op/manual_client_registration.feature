@seed-004 @reference-only
Feature: Manual client registration: Pre-Authorization and Persist Client Authorizations
  Gluu Server 4.2's OP page, "Manual client registration"
  (https://gluu.org/docs/gluu-server/4.2/admin-guide/openid-connect/#manual-client-registration):
  two client settings only an administrator can set. Pre-Authorization: the OAuth authorization
  prompt is not shown to the user (single sign-on to internal clients). Persist Client
  Authorizations: the user is asked only the first time; the authorization is kept with the user
  and later logins are not asked. With neither, the user is asked at every login.
  The administrator's clients are in the stack's OP config (scenarios/op.yml, the analogue of
  oxTrust's client form): intranet (pre_authorized), partner-portal
  (persist_client_authorizations) and survey-tool (neither). "Later" is a new browser, so the
  user logs in again and only the remembered authorization can spare the prompt.

  Background:
    Given the "op" stack is running

  Scenario: A pre-authorized client does not show the authorization prompt
    When the "intranet" client sends the user to the OP with response type "code"
    Then the OP asks for a username and password
    When the user logs in as "admin" with password "secret"
    Then the OP sends the user back to the client without asking for consent
    And the client receives "code" in the query

  Scenario: With Persist Client Authorizations the user is asked the first time only
    When the "partner-portal" client sends the user to the OP with response type "code"
    And the user logs in as "admin" with password "secret"
    Then the OP asks to allow "openid profile"
    When the user allows the requested permissions
    Then the client receives "code" in the query
    When the user comes back later in a new browser
    And the "partner-portal" client sends the user to the OP with response type "code"
    Then the OP asks for a username and password
    When the user logs in as "admin" with password "secret"
    Then the OP sends the user back to the client without asking for consent
    And the client receives "code" in the query

  Scenario: A persisted authorization covers only the scopes the user allowed
    When the "partner-portal" client sends the user to the OP with response type "code" and "scope=openid"
    And the user logs in as "admin" with password "secret"
    Then the OP asks to allow "openid"
    When the user allows the requested permissions
    Then the client receives "code" in the query
    When the user comes back later in a new browser
    And the "partner-portal" client sends the user to the OP with response type "code" and "scope=openid profile"
    And the user logs in as "admin" with password "secret"
    Then the OP asks to allow "openid profile"

  Scenario: Without either setting the user is asked at every login
    When the "survey-tool" client sends the user to the OP with response type "code"
    And the user logs in as "admin" with password "secret"
    Then the OP asks to allow "openid profile"
    When the user allows the requested permissions
    Then the client receives "code" in the query
    When the user comes back later in a new browser
    And the "survey-tool" client sends the user to the OP with response type "code"
    And the user logs in as "admin" with password "secret"
    Then the OP asks to allow "openid profile"

  Scenario: A user who declines the authorization prompt sends the client access_denied
    When the "survey-tool" client sends the user to the OP with response type "code"
    And the user logs in as "admin" with password "secret"
    Then the OP asks to allow "openid profile"
    When the user denies the requested permissions
    Then the client receives the error "access_denied"

  Scenario: A declined prompt is not remembered: the next login asks again
    When the "partner-portal" client sends the user to the OP with response type "code"
    And the user logs in as "admin" with password "secret"
    And the user denies the requested permissions
    Then the client receives the error "access_denied"
    When the user comes back later in a new browser
    And the "partner-portal" client sends the user to the OP with response type "code"
    And the user logs in as "admin" with password "secret"
    Then the OP asks to allow "openid profile"
