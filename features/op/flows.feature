@seed-004 @reference-only
Feature: OpenID Connect flows: authorization code, implicit and hybrid
  Gluu Server 4.2's OP page, "OpenID Connect Flows"
  (https://gluu.org/docs/gluu-server/4.2/admin-guide/openid-connect/#openid-connect-flows),
  promises every flow of OpenID Connect Core: the authorization code flow (response type code),
  the implicit flow (id_token, id_token token) for applications in the browser, and the hybrid
  flow (code id_token, code token, code id_token token). With code id_token the application
  verifies the code by the ID token's c_hash. "If you are using the code flow, the response type
  should only be code": the token endpoint answers the access token and the ID token anyway.
  The clients are the administrator's (scenarios/op.yml): web-app may use the code flow only,
  hybrid-app also the implicit grant; both are pre-authorized, so nobody is asked to consent.
  The application's part is played by the features' relying party: it checks each ID token's
  signature against the OP's JWKS, its iss, aud, nonce, and its at_hash and c_hash.

  Background:
    Given the "op" stack is running

  Scenario: The code flow sends only a code through the browser; the token endpoint answers the tokens
    When the "web-app" client sends the user to the OP with response type "code"
    And the user logs in as "admin" with password "secret"
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint answers an access token and an ID token
    And the ID token's sub is "admin"
    And the userinfo endpoint answers the claims "sub, name"

  Scenario: The implicit flow "id_token": the ID token in the fragment carries the claims itself
    When the "hybrid-app" client sends the user to the OP with response type "id_token" and "scope=openid profile email"
    And the user logs in as "admin" with password "secret"
    Then the client receives "id_token" in the fragment
    And the ID token carries the claims "name, email"

  Scenario: The implicit flow "id_token token": the access token in the fragment works at userinfo
    When the "hybrid-app" client sends the user to the OP with response type "id_token token"
    And the user logs in as "admin" with password "secret"
    Then the client receives "id_token token" in the fragment
    And the userinfo endpoint answers the claims "sub, name"

  Scenario Outline: The hybrid flow "<response_type>": a code and tokens in the fragment, then the token endpoint
    When the "hybrid-app" client sends the user to the OP with response type "<response_type>"
    And the user logs in as "admin" with password "secret"
    Then the client receives "<response_type>" in the fragment
    When the client exchanges the code at the token endpoint
    Then the token endpoint answers an access token and an ID token

    Examples:
      | response_type       |
      | code id_token       |
      | code token          |
      | code id_token token |

  Scenario: With "code id_token" the ID token's c_hash vouches for the code
    When the "hybrid-app" client sends the user to the OP with response type "code id_token"
    And the user logs in as "admin" with password "secret"
    Then the client receives "code id_token" in the fragment
    And the ID token's c_hash is the base64url left half of the code's SHA-256
    And a code altered in transit does not match the ID token's c_hash
    When the client exchanges the code at the token endpoint
    Then the token endpoint answers an access token and an ID token

  Scenario: A client configured for the code flow only is refused the implicit flow
    When the "web-app" client sends the user to the OP with response type "id_token token"
    Then the client receives the error "unauthorized_client"

  Scenario: The implicit flow needs a nonce
    When the "hybrid-app" client sends the user to the OP with response type "id_token" and "nonce=(omitted)"
    Then the client receives the error "invalid_request"

  Scenario: Tokens never travel in the query: a hybrid request with response_mode=query is refused
    When the "hybrid-app" client sends the user to the OP with response type "code id_token" and "response_mode=query"
    Then the client receives the error "invalid_request"
