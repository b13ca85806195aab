@needs-dynamic-registration
Feature: Hybrid OP and Form Post Hybrid OP certification plans
  The modules of the OpenID Foundation's oidcc-hybrid-certification-test-plan (response types
  code id_token, code token and code id_token token) and, with response_mode=form_post, of
  oidcc-formpost-hybrid-certification-test-plan; one scenario per module instance, named as the
  suite names it. How the RP registers and what every ID token is checked for:
  features/oidcc/README.md.

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

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-response-type-missing
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP without "response_type"
    Then the OP refuses the request with "unsupported_response_type or invalid_request", at the RP or on its own page

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |

  Scenario Outline: oidcc-idtoken-signature
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the ID token is signed with "RS256" and names its key

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-userinfo-get
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP calls the userinfo endpoint by "GET with a bearer header"
    Then the userinfo endpoint answers for the ID token's subject

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-userinfo-post-header
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP calls the userinfo endpoint by "POST with a bearer header"
    Then the userinfo endpoint answers for the ID token's subject

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-userinfo-post-body
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP calls the userinfo endpoint by "POST with the token in the body"
    Then the userinfo endpoint answers for the ID token's subject

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-ensure-request-without-nonce-fails
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP without "nonce"
    Then the OP refuses the request with "invalid_request", at the RP or on its own page

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-ensure-request-without-nonce-succeeds-for-code-flow
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP without "nonce"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code token | form_post |

  Scenario Outline: <module>
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "scope=<scope>"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the OP releases the claims "<claims>"

    @oidcc-hybrid
    Examples:
      | response_type | response_mode | module | scope | claims |
      | code id_token | default | oidcc-scope-profile | openid profile | name, given_name, family_name |
      | code token | default | oidcc-scope-profile | openid profile | name, given_name, family_name |
      | code id_token token | default | oidcc-scope-profile | openid profile | name, given_name, family_name |
      | code id_token | default | oidcc-scope-email | openid email | email, email_verified |
      | code token | default | oidcc-scope-email | openid email | email, email_verified |
      | code id_token token | default | oidcc-scope-email | openid email | email, email_verified |
      | code id_token | default | oidcc-scope-address | openid address | address |
      | code token | default | oidcc-scope-address | openid address | address |
      | code id_token token | default | oidcc-scope-address | openid address | address |
      | code id_token | default | oidcc-scope-phone | openid phone | phone_number |
      | code token | default | oidcc-scope-phone | openid phone | phone_number |
      | code id_token token | default | oidcc-scope-phone | openid phone | phone_number |
      | code id_token | default | oidcc-scope-all | openid profile email address phone | name, email, address, phone_number |
      | code token | default | oidcc-scope-all | openid profile email address phone | name, email, address, phone_number |
      | code id_token token | default | oidcc-scope-all | openid profile email address phone | name, email, address, phone_number |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode | module | scope | claims |
      | code id_token | form_post | oidcc-scope-profile | openid profile | name, given_name, family_name |
      | code token | form_post | oidcc-scope-profile | openid profile | name, given_name, family_name |
      | code id_token token | form_post | oidcc-scope-profile | openid profile | name, given_name, family_name |
      | code id_token | form_post | oidcc-scope-email | openid email | email, email_verified |
      | code token | form_post | oidcc-scope-email | openid email | email, email_verified |
      | code id_token token | form_post | oidcc-scope-email | openid email | email, email_verified |
      | code id_token | form_post | oidcc-scope-address | openid address | address |
      | code token | form_post | oidcc-scope-address | openid address | address |
      | code id_token token | form_post | oidcc-scope-address | openid address | address |
      | code id_token | form_post | oidcc-scope-phone | openid phone | phone_number |
      | code token | form_post | oidcc-scope-phone | openid phone | phone_number |
      | code id_token token | form_post | oidcc-scope-phone | openid phone | phone_number |
      | code id_token | form_post | oidcc-scope-all | openid profile email address phone | name, email, address, phone_number |
      | code token | form_post | oidcc-scope-all | openid profile email address phone | name, email, address, phone_number |
      | code id_token token | form_post | oidcc-scope-all | openid profile email address phone | name, email, address, phone_number |

  Scenario Outline: oidcc-alternate-happy-flow
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "scope=email openid" in reverse order
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |

  Scenario Outline: <module>
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "<parameters>"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    @oidcc-hybrid
    Examples:
      | response_type | response_mode | module | parameters |
      | code id_token | default | oidcc-display-page | display=page |
      | code token | default | oidcc-display-page | display=page |
      | code id_token token | default | oidcc-display-page | display=page |
      | code id_token | default | oidcc-display-popup | display=popup |
      | code token | default | oidcc-display-popup | display=popup |
      | code id_token token | default | oidcc-display-popup | display=popup |
      | code id_token | default | oidcc-ensure-request-with-unknown-parameter-succeeds | extra=foobar |
      | code token | default | oidcc-ensure-request-with-unknown-parameter-succeeds | extra=foobar |
      | code id_token token | default | oidcc-ensure-request-with-unknown-parameter-succeeds | extra=foobar |
      | code id_token | default | oidcc-login-hint | login_hint=buffy@example.com |
      | code token | default | oidcc-login-hint | login_hint=buffy@example.com |
      | code id_token token | default | oidcc-login-hint | login_hint=buffy@example.com |
      | code id_token | default | oidcc-ui-locales | ui_locales=se |
      | code token | default | oidcc-ui-locales | ui_locales=se |
      | code id_token token | default | oidcc-ui-locales | ui_locales=se |
      | code id_token | default | oidcc-claims-locales | claims_locales=se |
      | code token | default | oidcc-claims-locales | claims_locales=se |
      | code id_token token | default | oidcc-claims-locales | claims_locales=se |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode | module | parameters |
      | code id_token | form_post | oidcc-display-page | display=page |
      | code token | form_post | oidcc-display-page | display=page |
      | code id_token token | form_post | oidcc-display-page | display=page |
      | code id_token | form_post | oidcc-display-popup | display=popup |
      | code token | form_post | oidcc-display-popup | display=popup |
      | code id_token token | form_post | oidcc-display-popup | display=popup |
      | code id_token | form_post | oidcc-ensure-request-with-unknown-parameter-succeeds | extra=foobar |
      | code token | form_post | oidcc-ensure-request-with-unknown-parameter-succeeds | extra=foobar |
      | code id_token token | form_post | oidcc-ensure-request-with-unknown-parameter-succeeds | extra=foobar |
      | code id_token | form_post | oidcc-login-hint | login_hint=buffy@example.com |
      | code token | form_post | oidcc-login-hint | login_hint=buffy@example.com |
      | code id_token token | form_post | oidcc-login-hint | login_hint=buffy@example.com |
      | code id_token | form_post | oidcc-ui-locales | ui_locales=se |
      | code token | form_post | oidcc-ui-locales | ui_locales=se |
      | code id_token token | form_post | oidcc-ui-locales | ui_locales=se |
      | code id_token | form_post | oidcc-claims-locales | claims_locales=se |
      | code token | form_post | oidcc-claims-locales | claims_locales=se |
      | code id_token token | form_post | oidcc-claims-locales | claims_locales=se |

  Scenario Outline: oidcc-prompt-login
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When 1 second passes
    And the RP sends the user to the OP with "prompt=login"
    Then the OP asks the user to log in
    When the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the second ID token has a later auth_time than the first

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-prompt-none-not-logged-in
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "prompt=none&state=(128 characters)"
    Then the RP receives the error "login_required or interaction_required or account_selection_required or consent_required"

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-prompt-none-logged-in
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the OP with "prompt=none"
    Then the OP answers without asking the user anything
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And both ID tokens have the same "sub"
    And both ID tokens have the same "auth_time"

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-max-age-1
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
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

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-max-age-10000
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "max_age=15000"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the OP with "max_age=10000"
    Then the OP answers without asking the user anything
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the ID token has "auth_time"
    And both ID tokens have the same "auth_time"
    And both ID tokens have the same "sub"

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-id-token-hint
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the OP with "prompt=none&id_token_hint=(first ID token)"
    Then the OP answers without asking the user anything
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And both ID tokens have the same "sub"
    And both ID tokens have the same "auth_time"

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-ensure-request-with-acr-values-succeeds
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "acr_values=(acr_values_supported)"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the ID token's acr is one of the requested acr values

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-codereuse
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP exchanges the same code again
    Then the token endpoint refuses the second exchange with "invalid_grant"

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-codereuse-30seconds
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When 30 seconds pass
    And the RP exchanges the same code again
    Then the token endpoint refuses the second exchange with "invalid_grant"
    And the access token of the first exchange no longer works at the userinfo endpoint

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-ensure-registered-redirect-uri
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "redirect_uri=(unregistered)"
    Then the OP shows an error page and does not send the user to the RP

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

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

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with its request in an unsigned request object passed by reference
    And the user logs in as "admin" with password "secret" and consents
    Then the OP processes the request object or refuses it with "request_uri_not_supported or request_not_supported"

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with its request in an unsigned request object
    And the user logs in as "admin" with password "secret" and consents
    Then the OP processes the request object or refuses it with "request_not_supported"

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-claims-essential
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "claims=(name essential)"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the OP releases the claims "name"

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-ensure-request-object-with-redirect-uri
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with its request in an unsigned request object naming another redirect URI
    And the user logs in as "admin" with password "secret" and consents
    Then the OP uses the request object's redirect URI or shows an error page

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-refresh-token
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    And the certification RP has registered a second client the same way
    When the RP sends the user to the OP with "scope=openid offline_access&prompt=consent"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When 1 second passes
    And the RP refreshes the tokens
    Then the refreshed ID token keeps iss, sub, aud, auth_time and azp and has a new iat
    And the second client's use of the refresh token is refused with "invalid_grant"

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |
      | code token | default |
      | code id_token token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
      | code token | form_post |
      | code id_token token | form_post |

  Scenario Outline: oidcc-ensure-request-with-valid-pkce-succeeds
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "code_challenge=(S256)"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    @oidcc-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | default |

    @oidcc-formpost-hybrid
    Examples:
      | response_type | response_mode |
      | code id_token | form_post |
