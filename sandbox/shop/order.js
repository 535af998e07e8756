// Polls the order's status until it is final, then shows it (Paid, Closed...) and hides the code.
(() => {
  const main = document.getElementById("order");
  const heading = document.getElementById("heading");
  const status = document.getElementById("status");
  const code = document.getElementById("payment");
  const every = Number(main.dataset.pollMs) || 1000;
  const url = "/orders/" + encodeURIComponent(main.dataset.orderId) + "/status";

  function show(answer) {
    main.dataset.status = answer.status;
    heading.textContent = answer.heading;
    status.textContent = answer.label;
    status.className = "status status-" + answer.status.toLowerCase();
    if (answer.final && code) code.hidden = true;
  }

  async function poll() {
    try {
      const answer = await fetch(url, { headers: { Accept: "application/json" } });
      if (answer.ok) {
        const data = await answer.json();
        show(data);
        if (data.final) return;
      }
    } catch (error) {
      // The shop is restarting or unreachable: keep asking.
    }
    setTimeout(poll, every);
  }

  if (main.dataset.status === "PENDING") setTimeout(poll, every);
})();
