// Small conveniences of the back office and the console; every page works without them.
(() => {
  "use strict";
  // A filter's select applies itself when changed.
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.requestSubmit());
    }
  }
  // A button that changes something for good asks first.
  for (const button of document.querySelectorAll("button[data-confirm]")) {
    button.form?.addEventListener("submit", (event) => {
      if (event.submitter === button && !window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }
})();
