"""certs/: the router's TLS certificates: a local CA for APP.localhost (and any host without a better
one), certificates users add (certs:add, checked first), and certificates from an ACME CA (certs:auto)."""
