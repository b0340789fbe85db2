// Switches the country picker of a mobile number field to the country
// whose calling code is typed at the start of the number, as
// phone.RegionFromInput does on the server. For example, +44 or 0044
// selects the United Kingdom, and +44 7624 the Isle of Man. The calling
// codes and prefixes come from the options that
// templates/_country_picker.html writes.
//
// The script follows the typed code only when it changes, so a country
// that the person chose stays selected until they type another code, and
// a removed code brings back the country selected before. It never moves
// the focus. It announces each switch in the picker's status element,
// which is a polite live region.
"use strict";

(function () {
  // The zero digits of the scripts that phone.Parse accepts: ASCII,
  // full-width, Arabic-Indic and Extended Arabic-Indic.
  const zeros = [0x30, 0xff10, 0x660, 0x6f0];

  function asciiDigit(ch) {
    const c = ch.codePointAt(0);
    for (const zero of zeros) {
      if (c >= zero && c <= zero + 9) {
        return String(c - zero);
      }
    }
    return null;
  }

  // The separators and invisible marks that phone.Parse skips.
  const skipped = /^[\p{Zs}\-./()\u2010-\u2015\u2212\uff0d\uff0e\uff0f\uff08\uff09\u200e\u200f\u061c\u2066-\u2069]$/u;

  // internationalDigits returns the ASCII digits after a leading plus sign
  // or 00, up to the first character that cannot be part of a number, or
  // null when the value starts with neither.
  function internationalDigits(value) {
    let digits = "";
    let plus = false;
    for (const ch of value.trim()) {
      if (skipped.test(ch)) {
        continue;
      }
      const digit = asciiDigit(ch);
      if (digit !== null) {
        digits += digit;
        continue;
      }
      if ((ch === "+" || ch === "\uff0b") && !plus && digits === "") {
        plus = true;
        continue;
      }
      break;
    }
    if (plus) {
      return digits;
    }
    return digits.startsWith("00") ? digits.slice(2) : null;
  }

  // callingCodes returns, per calling code, its main option, whether a 0
  // after the code is skipped, and the prefixes that select other options.
  function callingCodes(select) {
    const codes = new Map();
    for (const option of select.options) {
      const code = option.dataset.callingCode;
      if (!code) {
        continue;
      }
      if (!codes.has(code)) {
        codes.set(code, { main: null, skipsTrunkZero: false, prefixes: [] });
      }
      const entry = codes.get(code);
      if ("main" in option.dataset) {
        entry.main = option;
        entry.skipsTrunkZero = "skipTrunkZero" in option.dataset;
      }
      for (const prefix of (option.dataset.prefixes || "").split(" ")) {
        if (prefix !== "") {
          entry.prefixes.push({ prefix: prefix, option: option });
        }
      }
    }
    return codes;
  }

  // regionFromInput returns the region code that the country code typed at
  // the start of value implies, or null when there is none.
  function regionFromInput(codes, value) {
    const digits = internationalDigits(value);
    if (digits === null) {
      return null;
    }
    // Calling codes are a prefix code: no code starts another.
    for (let length = 1; length <= 3 && length <= digits.length; length++) {
      const entry = codes.get(digits.slice(0, length));
      if (!entry) {
        continue;
      }
      let national = digits.slice(length);
      if (entry.skipsTrunkZero && national.startsWith("0")) {
        national = national.slice(1);
      }
      for (const { prefix, option } of entry.prefixes) {
        if (national.startsWith(prefix)) {
          return option.value;
        }
      }
      return entry.main ? entry.main.value : null;
    }
    return null;
  }

  function attach(select) {
    const input = document.getElementById(select.dataset.phoneInput);
    if (!input || select.dataset.pickerAttached) {
      return;
    }
    select.dataset.pickerAttached = "true";
    const codes = callingCodes(select);
    const status = document.getElementById(select.id + "-status");
    const label = select.labels && select.labels.length > 0 ? select.labels[0].textContent.trim() : "";

    // typed is the region of the code typed at the last input, chosen the
    // region that applies without a typed code.
    let typed = regionFromInput(codes, input.value);
    let chosen = select.value;

    select.addEventListener("change", function () {
      chosen = select.value;
    });
    input.addEventListener("input", function () {
      const region = regionFromInput(codes, input.value);
      if (region === typed) {
        return;
      }
      typed = region;
      const next = region || chosen;
      if (next === select.value) {
        return;
      }
      select.value = next;
      if (status && select.selectedIndex >= 0) {
        const text = select.options[select.selectedIndex].textContent.trim();
        status.textContent = label ? label + ": " + text : text;
      }
    });
  }

  for (const select of document.querySelectorAll("select[data-phone-input]")) {
    attach(select);
  }
})();
