// Package login runs twofold's sign-in: the pages between the provider's
// /authorize and its callback, the browser session, and the office's
// two-factor policy.
//
// The state of a sign-in lives on its authorization request in the
// database; cookies hold only ids.
//
//	/authorize ──► GET /login?id
//	                 │ request done ─────────────────────────► callback
//	                 │ password proven (user set) ──► SMS step
//	                 │ usable session ──┬─ meets policy ─────► callback (SSO)
//	                 │                  └─ lacks SMS ────────► SMS step
//	                 │   (the office's policy, or the request's acr_values or
//	                 │   claims asking for the SMS code: assurance.go)
//	                 │ prompt=none ──────────────────────────► client: login_required
//	                 ▼
//	            password form ── POST /login
//	                 │ wrong: same message for user, password, office
//	                 │ office without two-factor ──► new session ─► callback
//	                 ▼
//	            SMS step
//	                 │ number on file (confirmed, or entered by an admin)
//	                 │   ──► code sent ──► GET /login/code
//	                 │ no number ──► GET /login/enroll ── POST: number ──► code sent
//	                 ▼
//	            POST /login/code ── right ──► number confirmed if needed
//	                 │                        ──► new session ─► callback
//	                 │ wrong: attempts left, then the code is void
//	                 └ POST /login/code/resend: new code, old one void
//
// Routes:
//
//	GET  /login               route the request (above)
//	POST /login               username, password, office code
//	GET  /login/code          the code form, with the number masked
//	POST /login/code          check a code
//	POST /login/code/resend   send a new code
//	GET  /login/enroll        the number form, for users without a number
//	POST /login/enroll        send a code to the typed number
//	GET  /authorize/callback  issue the code to the bound browser (guard.go)
//	GET|POST /end_session     RP-initiated logout, or its confirmation page (logout.go)
//	POST /end_session/confirm sign out after the user confirmed
//	GET  /account/sessions    the user's sessions (account.go)
//	POST /account/sessions/end  sign out of one session or of all
//
// Every POST carries a CSRF token derived from the browser cookie. The
// first page a browser opens for a request binds the request to that
// browser (a hash of its cookie); later pages and the callback
// (GuardCallback) refuse any other browser.
package login
