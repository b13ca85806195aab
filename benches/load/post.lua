-- wrk script: a form POST whose body and Authorization header come from the environment
-- (WRK_BODY, WRK_AUTH), e.g. a client_credentials token request or an introspection.
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("WRK_AUTH")
