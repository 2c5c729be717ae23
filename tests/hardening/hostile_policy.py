"""The policy the hostile-input tests run against: one <Location> per matcher kind, each
in front of the same files (/h/<scope>/<file> maps to the integration app/<file>)."""

PARTNER = "https://partner.example"
IDN = "https://xn--bcher-kva.example"          # bücher.example in punycode
REDOS_PATTERN = r"/^(https?:\/\/)?(a+)+\.partner\.example$/"
# The start-up warnings of this policy, on purpose (/h/null/ allows null).
EXPECTED_LOG = (r"\[cors:warn\] .*CORSAllowOrigin null allows",)

BODY = r'''
AliasMatch "^/h/[^/]+/([^/]*)$" "${IT_HTDOCS}/app/$1"

<Location "/h/exact/">
    CORSEngine On
    CORSAllowOrigin https://partner.example https://xn--bcher-kva.example
    CORSAllowMethods GET POST PUT
    CORSAllowHeaders X-Custom-Header Content-Type
    CORSAllowCredentials On
</Location>

<Location "/h/wild/">
    CORSEngine On
    CORSAllowOrigin https://*.partner.example
</Location>

<Location "/h/php/">
    CORSEngine On
    CORSAllowOriginMatch "#^https://(www\.|api\.)?partner\.example$#i"
</Location>

<Location "/h/star/">
    CORSEngine On
    CORSAllowOrigin *
    CORSAllowMethods *
    CORSAllowHeaders *
</Location>

<Location "/h/credstar/">
    CORSEngine On
    CORSAllowOrigin https://partner.example
    CORSAllowCredentials On
    CORSAllowMethods *
    CORSAllowHeaders *
</Location>

<Location "/h/null/">
    CORSEngine On
    CORSAllowOrigin null
</Location>

<Location "/h/redos/">
    CORSEngine On
    CORSAllowOriginMatch "''' + REDOS_PATTERN + r'''"
</Location>

<Location "/h/nojit/">
    CORSEngine On
    CORSAllowOriginMatch "#(*NO_JIT)^https://partner\.example$#"
</Location>

<Location "/h/redos-pass/">
    CORSEngine On
    CORSReject Off
    CORSExportEnv On
    CORSAllowOriginMatch "''' + REDOS_PATTERN + r'''"
</Location>
'''
