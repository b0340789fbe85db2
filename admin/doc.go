// Package admin serves twofold's settings pages: an office's two-factor
// policy, its users, their roles and mobile numbers, and the record of
// every change.
//
// The pages use twofold's own single sign-on session. A request without a
// live session, or with one that lacks the SMS step the office now
// requires, is sent through /authorize as the built-in client ClientID, so
// the office's policy applies to administrators as to everyone. Every
// request reads the session, the user and the office from storage and
// checks login.Satisfies again. Every POST carries the browser's CSRF
// token, and every permission is checked here, whatever a form contains.
//
// Routes:
//
//	GET  /settings                          the General tab, or a User's own page
//	GET  /settings/callback                 end of the sign-in through /authorize
//	GET  /settings/office                   General tab: name, code, two-factor policy
//	POST /settings/office/two-factor        switch the policy (Super user), after confirmation
//	GET  /settings/users                    Users tab (Super user, Accountant)
//	GET  /settings/users/new                new user form (Super user)
//	POST /settings/users/new                create a user (Super user)
//	GET  /settings/users/{id}               a user's settings
//	POST /settings/users/{id}/profile       name and email
//	POST /settings/users/{id}/role          role (Super user)
//	POST /settings/users/{id}/password      set a new password (Super user, for others)
//	POST /settings/users/{id}/mobile        enter or clear a number
//	GET  /settings/users/{id}/mobile/code   the code form for one's own new number
//	POST /settings/users/{id}/mobile/code   check that code
//	POST /settings/users/{id}/mobile/resend send a new code
//	POST /settings/users/{id}/mobile/cancel drop the pending number
//	GET  /settings/activity                 Activity tab (Super user)
//
// Who may do what:
//
//   - A Super user changes the policy, creates users, sets roles and sets
//     passwords, and does everything an Accountant does.
//   - An Accountant edits the name, email and mobile number of users and
//     accountants of the office, but not of super users, whose numbers
//     guard the office's policy.
//   - Everyone sees their own page and changes their own name, email and
//     number. A new number of one's own is saved only after the code sent
//     to it is entered; until then codes keep going to the old one.
//   - A number entered for someone else is saved unconfirmed and is
//     confirmed by its code at that user's next sign-in.
//
// Users of another office are not found (404); a role's missing permission
// is 403. Neither changes anything.
package admin
