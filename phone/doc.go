// Package phone parses, checks and displays the mobile numbers that twofold
// sends sign-in codes to by SMS. Every place that accepts a mobile number
// (first-sign-in enrollment, user settings, the CLI) goes through [Parse], and
// stores the [Number.E164] it returns.
//
// # Parsing
//
// [Parse] takes what a person typed and the region of the country selected
// next to the input field. A country code typed with the number (+44 or 0044)
// always wins over the selected region, and the region in the result is the
// number's own, so +1 204 under the United States flag is Canada.
//
// Parse checks every character itself before it passes the digits to the
// numbering library. It accepts digits (ASCII, full-width, Arabic-Indic and
// Extended Arabic-Indic), spaces, dashes, dots, slashes, parentheses and one
// leading plus sign, and rejects the input for any other character. Letters,
// extensions and stray symbols are never dropped silently, because the
// library on its own turns 1-800-FLOWERS into digits and ignores text after
// the number.
//
// Only numbers that can receive an SMS are accepted: mobile numbers, and
// numbers in plans where fixed-line and mobile numbers cannot be told apart
// (the United States and Canada). Every rejection is an [*Error] with a
// [Reason], the region detected and, where known, the number's type, so
// callers can show [Error.Message] in the page's language.
//
// # Display
//
// [FormatInternational] writes a stored number for the person who owns it.
// [Mask] writes it for screens that must not show the whole number, such as
// "we sent a code to +31 6 •••• ••78".
//
// # Country selection
//
// [Countries] and [Ordered] list the regions for a country picker, with names
// in the page's language, and [TopRegions] chooses which regions to show at
// the top. [RegionFromInput] follows the country code as it is typed, so the
// picker can switch its flag. [MainRegion], [RegionPrefixes] and
// [SkipsTrunkZero] give a script in the browser what it needs to follow the
// code the same way, and [NumberRegion] gives the region of a stored number.
//
// This package does not log. Error values keep the full number for
// [Error.Message], which is shown only to the person who typed it, while
// [Error.Error] masks it, so a logged error never contains the whole number.
package phone
