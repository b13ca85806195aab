@needs-dynamic-registration
Feature: Dynamic OP certification plan: sector identifiers and key rotation
  Three modules of the OpenID Foundation's oidcc-dynamic-certification-test-plan (discovery,
  dynamic client, the plan's usual response type code id_token). A pairwise client may register
  a sector_identifier_uri: the OP fetches it, and it must be a JSON array listing every redirect
  URI of the client (OpenID Connect Dynamic Client Registration 1.0 §5); the RP serves it from
  its callback server. For key rotation the suite asks the OP's administrator to rotate the keys
  and then expects a new key in the JWKS, ID tokens signed by it, and the old key kept; against
  the reference OP the harness is that administrator (a foreign OP skips the module).

  Background:
    Given the "oidcc" stack is running

  @oidcc-dynamic
  Scenario: oidcc-registration-sector-uri
    Given the certification RP serves a sector identifier document listing its redirect URI
    When the certification RP registers a client for response type "code id_token" with:
      """
      {"subject_type": "pairwise", "sector_identifier_uri": "(rp)/sector_identifier"}
      """
    Then the OP registers the client
    And the registration and a read at its registration_client_uri echo "sector_identifier_uri"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

  @oidcc-dynamic
  Scenario: oidcc-registration-sector-bad
    Given the certification RP serves a sector identifier document without its redirect URI
    When the certification RP registers a client for response type "code id_token" with:
      """
      {"subject_type": "pairwise", "sector_identifier_uri": "(rp)/sector_identifier"}
      """
    Then the OP refuses the registration with "invalid_client_metadata"

  @oidcc-dynamic @needs-key-rotation
  Scenario: oidcc-server-rotate-keys
    Given the certification RP uses response type "code id_token" and response mode "default"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the OP rotates its signing keys
    Then the OP's JWKS has a new signing key and still has the old ones
    When the RP sends the user to the OP
    Then the RP receives an ID token signed by a new key of the OP's JWKS, named by its kid
    And the ID token from before the rotation still verifies with the key its kid names
