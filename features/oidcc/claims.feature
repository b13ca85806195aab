@needs-dynamic-registration @oidcc-extra
Feature: The claims request parameter beyond oidcc-claims-essential
  The suite's oidcc-claims-essential (in basic.feature, implicit.feature, hybrid.feature) asks
  for name at userinfo. OIDC Core §5.5 also lets the RP ask for claims in the ID token, and the
  OP must say it reads the parameter. These are not suite modules (tag @oidcc-extra); like the
  modules, they use only discovery, registration and the RP's callback.

  Background:
    Given the "oidcc" stack is running

  Scenario Outline: claims asked of the ID token come in every ID token of the grant
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    Then the OP's discovery document says "claims_parameter_supported" is "true"
    When the RP sends the user to the OP with 'claims={"id_token":{"email":{"essential":true}}}'
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the ID token has "email"

    Examples:
      | response_type | response_mode |
      | code          | default       |
      | code          | form_post     |
