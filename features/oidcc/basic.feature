@needs-dynamic-registration
Feature: Basic OP and Form Post Basic OP certification plans
  The modules of the OpenID Foundation's oidcc-basic-certification-test-plan (response type
  code) and, with response_mode=form_post, of oidcc-formpost-basic-certification-test-plan.
  Each scenario is one module, named as the suite names it, and asserts what the module
  asserts. The RP registers its own client at the OP's registration_endpoint (an https-less
  loopback callback, so as a native application) and authenticates with client_secret_basic
  unless the module says otherwise. Every ID token gets the suite's standard checks (signature
  by a key of the OP's JWKS named by kid, iss, aud, exp, iat, nonce, sub, auth_time, acr).

  Background:
    Given the "oidcc" stack is running

  Scenario Outline: oidcc-server
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the userinfo endpoint answers for the ID token's subject

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-server-client-secret-post
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", registered with:
      """
      {"token_endpoint_auth_method": "client_secret_post"}
      """
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint with client_secret_post
    Then the token endpoint answers with tokens for the code

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-response-type-missing
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP without "response_type"
    Then the OP refuses the request with "unsupported_response_type or invalid_request", at the RP or on its own page

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-idtoken-signature
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the ID token is signed with "RS256" and names its key

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  # The suite skips this module unless discovery lists "none" in
  # id_token_signing_alg_values_supported; gatecheck's OP signs every ID token, says so, and
  # refuses a client that asks for unsigned ones.
  Scenario Outline: oidcc-idtoken-unsigned
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    Then the OP's discovery document does not list "none" in id_token_signing_alg_values_supported
    When the certification RP registers a client for response type "<response_type>" with:
      """
      {"id_token_signed_response_alg": "none"}
      """
    Then the OP refuses the registration with "invalid_client_metadata"

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-userinfo-get
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP calls the userinfo endpoint by "GET with a bearer header"
    Then the userinfo endpoint answers for the ID token's subject

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-userinfo-post-header
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP calls the userinfo endpoint by "POST with a bearer header"
    Then the userinfo endpoint answers for the ID token's subject

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-userinfo-post-body
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP calls the userinfo endpoint by "POST with the token in the body"
    Then the userinfo endpoint answers for the ID token's subject

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-ensure-request-without-nonce-succeeds-for-code-flow
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP without "nonce"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: <module>
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "scope=<scope>"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the OP releases the claims "<claims>"

    @oidcc-basic
    Examples:
      | module              | response_type | response_mode | scope                             | claims                                        |
      | oidcc-scope-profile | code          | default       | openid profile                    | name, given_name, family_name                 |
      | oidcc-scope-email   | code          | default       | openid email                      | email, email_verified                         |
      | oidcc-scope-address | code          | default       | openid address                    | address                                       |
      | oidcc-scope-phone   | code          | default       | openid phone                      | phone_number                                  |
      | oidcc-scope-all     | code          | default       | openid profile email address phone | name, email, address, phone_number           |

    @oidcc-formpost-basic
    Examples:
      | module              | response_type | response_mode | scope                             | claims                                        |
      | oidcc-scope-profile | code          | form_post     | openid profile                    | name, given_name, family_name                 |
      | oidcc-scope-email   | code          | form_post     | openid email                      | email, email_verified                         |
      | oidcc-scope-address | code          | form_post     | openid address                    | address                                       |
      | oidcc-scope-phone   | code          | form_post     | openid phone                      | phone_number                                  |
      | oidcc-scope-all     | code          | form_post     | openid profile email address phone | name, email, address, phone_number           |

  Scenario Outline: oidcc-alternate-happy-flow
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "scope=email openid" in reverse order
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  # Modules whose only demand is that an extra parameter causes no error (the suite takes a
  # screenshot for the tester where the OP's page should reflect it).
  Scenario Outline: <module>
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "<parameters>"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    @oidcc-basic
    Examples:
      | module                                           | response_type | response_mode | parameters                    |
      | oidcc-display-page                               | code          | default       | display=page                  |
      | oidcc-display-popup                              | code          | default       | display=popup                 |
      | oidcc-ensure-request-with-unknown-parameter-succeeds | code      | default       | extra=foobar                  |
      | oidcc-login-hint                                 | code          | default       | login_hint=buffy@example.com  |
      | oidcc-ui-locales                                 | code          | default       | ui_locales=se                 |
      | oidcc-claims-locales                             | code          | default       | claims_locales=se             |

    @oidcc-formpost-basic
    Examples:
      | module                                           | response_type | response_mode | parameters                    |
      | oidcc-display-page                               | code          | form_post     | display=page                  |
      | oidcc-display-popup                              | code          | form_post     | display=popup                 |
      | oidcc-ensure-request-with-unknown-parameter-succeeds | code      | form_post     | extra=foobar                  |
      | oidcc-login-hint                                 | code          | form_post     | login_hint=buffy@example.com  |
      | oidcc-ui-locales                                 | code          | form_post     | ui_locales=se                 |
      | oidcc-claims-locales                             | code          | form_post     | claims_locales=se             |

  Scenario Outline: oidcc-ensure-request-with-acr-values-succeeds
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "acr_values=(acr_values_supported)"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the ID token's acr is one of the requested acr values

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-prompt-login
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When 1 second passes
    And the RP sends the user to the OP with "prompt=login"
    Then the OP asks the user to log in
    When the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the second ID token has a later auth_time than the first

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-prompt-none-not-logged-in
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "prompt=none&state=(128 characters)"
    Then the RP receives the error "login_required or interaction_required or account_selection_required or consent_required"

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-prompt-none-logged-in
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the OP with "prompt=none"
    Then the OP answers without asking the user anything
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And both ID tokens have the same "sub"
    And both ID tokens have the same "auth_time"

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-max-age-1
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When 2 seconds pass
    And the RP sends the user to the OP with "max_age=1"
    Then the OP asks the user to log in
    When the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the ID token has "auth_time"
    And the second ID token has a later auth_time than the first

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-max-age-10000
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "max_age=15000"
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the OP with "max_age=10000"
    Then the OP answers without asking the user anything
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the ID token has "auth_time"
    And both ID tokens have the same "auth_time"
    And both ID tokens have the same "sub"

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-id-token-hint
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the OP with "prompt=none&id_token_hint=(first ID token)"
    Then the OP answers without asking the user anything
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And both ID tokens have the same "sub"
    And both ID tokens have the same "auth_time"

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-codereuse
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP exchanges the same code again
    Then the token endpoint refuses the second exchange with "invalid_grant"

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-codereuse-30seconds
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When 30 seconds pass
    And the RP exchanges the same code again
    Then the token endpoint refuses the second exchange with "invalid_grant"
    And the access token of the first exchange no longer works at the userinfo endpoint

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-ensure-registered-redirect-uri
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "redirect_uri=(unregistered)"
    Then the OP shows an error page and does not send the user to the RP

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-ensure-post-request-succeeds
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP posts the authorization request to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with its request in an unsigned request object
    And the user logs in as "admin" with password "secret" and consents
    Then the OP processes the request object or refuses it with "request_not_supported"

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with its request in an unsigned request object passed by reference
    And the user logs in as "admin" with password "secret" and consents
    Then the OP processes the request object or refuses it with "request_uri_not_supported or request_not_supported"

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-refresh-token
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    And the certification RP has registered a second client the same way
    When the RP sends the user to the OP with "scope=openid offline_access&prompt=consent"
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When 1 second passes
    And the RP refreshes the tokens
    Then the refreshed ID token keeps iss, sub, aud, auth_time and azp and has a new iat
    And the second client's use of the refresh token is refused with "invalid_grant"

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-ensure-request-with-valid-pkce-succeeds
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "code_challenge=(S256)"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code          | default       |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code          | form_post     |

  Scenario Outline: oidcc-claims-essential
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "claims=(name essential)"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the OP releases the claims "name"

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code | default |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code | form_post |

  Scenario Outline: oidcc-ensure-request-object-with-redirect-uri
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with its request in an unsigned request object naming another redirect URI
    And the user logs in as "admin" with password "secret" and consents
    Then the OP uses the request object's redirect URI or shows an error page

    @oidcc-basic
    Examples:
      | response_type | response_mode |
      | code | default |

    @oidcc-formpost-basic
    Examples:
      | response_type | response_mode |
      | code | form_post |
