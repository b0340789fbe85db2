// Package sms sends one-time sign-in codes by SMS.
//
// A [Sender] delivers one [Message]. The package provides:
//
//   - Development senders that keep messages on the machine. [ConsoleSender]
//     prints each message to a writer, and [FileSender] appends it to a JSON
//     Lines file that tests read.
//   - Gateways that call a vendor's HTTP API: [Twilio], [MessageBird],
//     [Vonage], and a signed [Webhook] for a receiver of the operator's own.
//   - Wrappers. [WithRetry] retries temporary gateway failures within a small
//     time budget, and [WithFallback] sends through a second gateway when the
//     first one fails.
//   - [New], which assembles all of this from a [Config] section.
//   - [CodeMessage], which writes the message text in English or Dutch and ends
//     it with the origin-bound one-time code line ("@host #123456").
//
// Message bodies contain codes, so nothing in this package writes a body, a
// full phone number or a credential into an error or a log record. Errors
// from a gateway are [*GatewayError] values. Log a message's destination with
// [LogAttrs], which keeps only the calling code and the last two digits.
package sms
