// Package conformance drives twofold over HTTP the way the OpenID
// Foundation's conformance suite drives an OpenID Provider. It has one
// named Go test per module of the Basic OP, Form Post OP, Config OP,
// RP-Initiated Logout OP and Back-Channel Logout OP certification test
// plans, run on SQLite and, when TWOFOLD_TEST_POSTGRES names a server, on
// PostgreSQL.
//
// The relying party is coreos/go-oidc with golang.org/x/oauth2, the browser
// is an HTTP client with a cookie jar, SMS codes come from the file sender,
// and back-channel logout receivers are httptest servers on 127.0.0.1. The
// package has only tests; README.md lists the modules and their results.
package conformance
