@seed-004 @reference-only
Feature: Access Token: opaque by default, a JWT for clients with access_token_as_jwt
  Gluu Server 4.2's OP page, "Access Token"
  (https://gluu.org/docs/gluu-server/4.2/admin-guide/openid-connect/#access-token): an access
  token is usually a random string, but a client can get it as a JWT. access_token_as_jwt (false
  by default) turns it on per client; access_token_signing_alg picks the signing algorithm, else
  the OP's default (RS256). The JWT contains scope (a space-separated string), client_id,
  token_type, exp, iat, sub, aud and iss.
  The administrator's clients (scenarios/op.yml): jwt-app (ES256), jwt-default-app (no
  algorithm set) and web-app (no JWT). The OP's access tokens live 300 seconds.

  Background:
    Given the "op" stack is running

  Scenario Outline: <client> gets a JWT access token signed with <alg>, with the claims the doc lists
    When the "<client>" client sends the user to the OP with response type "code"
    And the user logs in as "admin" with password "secret"
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint answers an access token and an ID token
    And the access token is a JWT signed with "<alg>" by a key of the OP's JWKS
    And the access token has the claims "scope, client_id, token_type, exp, iat, sub, aud, iss"
    And the access token's client_id is "<client>"
    And the access token's scope is "openid profile"
    And the access token's token_type is "bearer"
    And the access token's iss is the OP's issuer and its sub the ID token's
    And the access token's aud names the client
    And the access token expires 300 seconds after it was issued
    And the userinfo endpoint answers the claims "sub, name"

    Examples:
      | client          | alg   |
      | jwt-app         | ES256 |
      | jwt-default-app | RS256 |

  Scenario: A JWT access token whose signature was altered is refused at userinfo
    When the "jwt-app" client sends the user to the OP with response type "code"
    And the user logs in as "admin" with password "secret"
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the access token is a JWT signed with "ES256" by a key of the OP's JWKS
    And the userinfo endpoint refuses an altered copy of the access token with 401

  Scenario: Without access_token_as_jwt the access token is an opaque string
    When the "web-app" client sends the user to the OP with response type "code"
    And the user logs in as "admin" with password "secret"
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint answers an access token and an ID token
    And the access token is not a JWT
    And the userinfo endpoint answers the claims "sub, name"
