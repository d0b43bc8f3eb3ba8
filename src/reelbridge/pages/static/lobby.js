// The lobby's few behaviours. Without this script the lobby still works (choose with
// the button, reload to see a balance); with it, the balance follows the wallet.
(() => {
  "use strict";
  // A game's exit button opens the lobby: if that happened inside the game's frame,
  // show the lobby in the whole window instead.
  if (window.top !== window.self) {
    try {
      window.top.location.href = window.location.href;
      return;
    } catch (error) {
      // another site framed us: stay where we are
    }
  }

  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.requestSubmit());
    }
  }

  // The balance the wallet holds (a server-formatted string: no money maths here).
  for (const element of document.querySelectorAll("[data-balance-url]")) {
    const url = element.dataset.balanceUrl;
    const poll = async () => {
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const data = await response.json();
        if (element.dataset.value !== data.balance) {
          if (element.dataset.value) {
            element.classList.remove("changed");
            void element.offsetWidth; // restart the highlight
            element.classList.add("changed");
          }
          element.dataset.value = data.balance;
          element.textContent = data.display;
        }
        element.dataset.live = "true";
      } catch (error) {
        element.dataset.live = "false";
      }
      setTimeout(poll, 1500);
    };
    poll();
  }
})();
