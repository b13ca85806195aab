@needs-dynamic-registration
Feature: Dynamic OP certification plan
  The modules of the OpenID Foundation's oidcc-dynamic-certification-test-plan: discovery, a
  client the RP registers itself, private_key_jwt client authentication (RFC 7523 assertions
  signed by the RP's own key, registered as jwks or served at a jwks_uri on the RP's callback
  server) and the tester's usual response type, code id_token. Each scenario is one module,
  named as the suite names it, asserting what the module asserts. Request objects carry the
  whole request with iss = the client_id and aud = the issuer; by reference the OP fetches them
  from the RP's callback server. Checks beyond the suite are tagged @oidcc-extra.
  A pairwise client may register a sector_identifier_uri: the OP fetches it, and it must be a
  JSON array listing every redirect URI of the client (Dynamic Client Registration 1.0 §5); the
  RP serves it from its callback server. For key rotation the suite asks the OP's administrator
  to rotate the keys, then expects a new key in the JWKS, ID tokens signed by it and the old key
  kept; against the reference OP the harness is that administrator (a foreign OP skips it).

  Background:
    Given the "oidcc" stack is running

  @oidcc-dynamic
  Scenario Outline: oidcc-server
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the userinfo endpoint answers for the ID token's subject

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-idtoken-rs256
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt, registered with:
      """
      {"id_token_signed_response_alg": "RS256"}
      """
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    And the ID token is signed with "RS256" and names its key
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the ID token is signed with "RS256" and names its key

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  # The suite runs this module for response type code only, and skips it unless discovery
  # lists "none"; gatecheck's OP signs every ID token, says so, and refuses a client asking
  # for unsigned ones.
  @oidcc-dynamic
  Scenario Outline: oidcc-idtoken-unsigned
    Then the OP's discovery document does not list "none" in id_token_signing_alg_values_supported
    When the certification RP registers a client for response type "<response_type>" with:
      """
      {"id_token_signed_response_alg": "none"}
      """
    Then the OP refuses the registration with "invalid_client_metadata"

    Examples:
      | response_type | response_mode |
      | code          | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-userinfo-rs256
    Then the OP's discovery document lists "RS256" in userinfo_signing_alg_values_supported
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt, registered with:
      """
      {"userinfo_signed_response_alg": "RS256"}
      """
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the userinfo endpoint answers a JWT signed with "RS256" for the ID token's subject

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-ensure-redirect-uri-in-authorization-request
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt, registered with:
      """
      {"redirect_uris": ["(callback)", "(callback)/second"]}
      """
    When the RP sends the user to the OP without "redirect_uri"
    Then the OP shows an error page and does not send the user to the RP

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-redirect-uri-query-OK
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt, registered with:
      """
      {"redirect_uris": ["(callback)?foo=bar"]}
      """
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    And the redirect to the RP keeps its query "foo=bar"
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-redirect-uri-query-mismatch
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt, registered with:
      """
      {"redirect_uris": ["(callback)?foo=bar"]}
      """
    When the RP sends the user to the OP with "redirect_uri=(callback)?foo=zap"
    Then the OP shows an error page and does not send the user to the RP

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-redirect-uri-query-added
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt
    When the RP sends the user to the OP with "redirect_uri=(callback)?foo=bar"
    Then the OP shows an error page and does not send the user to the RP

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-redirect-uri-regfrag
    When the certification RP registers a client for response type "<response_type>" with:
      """
      {"redirect_uris": ["(callback)#fragment"]}
      """
    Then the OP refuses the registration with "invalid_redirect_uri or invalid_client_metadata"

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario: oidcc-discovery-endpoint-verification
    Then the OP's discovery document passes the suite's checks for dynamic clients

  # The suite shows the tester the login page for the logo and the links; here the
  # registration keeps the URI (and answers it on a read) and a whole flow works.
  @oidcc-dynamic
  Scenario Outline: <module>
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt, registered with:
      """
      {"<field>": "(rp)/<field>"}
      """
    Then the registration and a read at its registration_client_uri echo "<field>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    Examples:
      | module                        | field      | response_type | response_mode |
      | oidcc-registration-logo-uri   | logo_uri   | code id_token | default       |
      | oidcc-registration-policy-uri | policy_uri | code id_token | default       |
      | oidcc-registration-tos-uri    | tos_uri    | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-registration-jwks-uri
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt and its keys at its jwks_uri
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the userinfo endpoint answers for the ID token's subject

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-refresh-token
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt
    And the certification RP has registered a second client the same way
    When the RP sends the user to the OP with "scope=openid offline_access&prompt=consent"
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When 1 second passes
    And the RP refreshes the tokens
    Then the refreshed ID token keeps iss, sub, aud, auth_time and azp and has a new iat
    And the second client's use of the refresh token is refused with "invalid_grant"

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  # The RP's jwks_uri then holds only a new key with a new kid, and the refresh's assertion is
  # signed with it: the OP must fetch the client's keys again.
  @oidcc-dynamic
  Scenario Outline: oidcc-refresh-token-rp-key-rotation
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt and its keys at its jwks_uri
    When the RP sends the user to the OP with "scope=openid offline_access&prompt=consent"
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP rotates its key at its jwks_uri
    And 60 seconds pass
    And the RP refreshes the tokens
    Then the refreshed ID token keeps iss, sub, aud, auth_time and azp and has a new iat

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-ensure-client-assertion-with-iss-aud-succeeds
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint with a client assertion whose aud is the issuer
    Then the token endpoint answers with tokens for the code

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  # The suite skips this module unless discovery lists "none" for request objects.
  @oidcc-dynamic
  Scenario Outline: oidcc-request-uri-unsigned
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt
    Then the OP's discovery document lists "none" in request_object_signing_alg_values_supported
    And the OP's discovery document says "request_uri_parameter_supported" is "true"
    When the RP sends the user to the OP with its request in an unsigned request object passed by reference
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-request-uri-signed-rs256
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt and its key registered for RS256 request objects
    Then the OP's discovery document lists "RS256" in request_object_signing_alg_values_supported
    When the RP sends the user to the OP with its request in an RS256-signed request object passed by reference
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  # The client registered RS256: the same request unsigned must not be processed. The suite has
  # no module for this refusal; OIDC Core §6.3.2 and the client's registration require it.
  @oidcc-extra
  Scenario Outline: an unsigned request object of a client that registered RS256 is refused
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt and its key registered for RS256 request objects
    When the RP sends the user to the OP with its request in an unsigned request object passed by reference
    Then the RP receives the error "invalid_request_object" for its request object

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-ensure-request-object-with-redirect-uri
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with private_key_jwt
    When the RP sends the user to the OP with its request in an unsigned request object naming another redirect URI
    And the user logs in as "admin" with password "secret" and consents
    Then the OP uses the request object's redirect URI or shows an error page

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

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
