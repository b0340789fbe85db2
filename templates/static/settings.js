// Asks for confirmation in a dialog before the two-factor policy changes.
// Without this script the form posts without confirm=yes, and the server
// answers with a confirmation page that says the same.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("two-factor-form");
  const dialog = document.getElementById("two-factor-dialog");
  if (!form || !dialog || typeof dialog.showModal !== "function") {
    return;
  }
  const confirm = document.getElementById("two-factor-confirm");
  const current = form.dataset.current;
  let opener = null;

  const restore = () => {
    const radio = form.querySelector(`input[name="two_factor"][value="${current}"]`);
    if (radio) {
      radio.checked = true;
    }
  };

  form.addEventListener("submit", (event) => {
    const chosen = form.querySelector('input[name="two_factor"]:checked');
    if (!chosen || chosen.value === current || confirm.value === "yes") {
      return;
    }
    event.preventDefault();
    opener = document.activeElement;
    dialog.showModal();
    document.getElementById("two-factor-no").focus();
  });

  document.getElementById("two-factor-yes").addEventListener("click", () => {
    confirm.value = "yes";
    dialog.close();
    form.submit();
  });

  document.getElementById("two-factor-no").addEventListener("click", () => {
    dialog.close();
  });

  dialog.addEventListener("close", () => {
    if (confirm.value !== "yes") {
      restore();
      if (opener) {
        opener.focus();
      }
    }
  });
});
