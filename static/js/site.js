// Staybook: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";
  // Lets the stylesheet fold the phone navigation behind the "Menu" button only when that button works.
  document.documentElement.classList.add("js");

  function setUpNavToggle() {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!toggle || !nav) return;
    function setOpen(open) {
      toggle.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("site-nav--open", open);
    }
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  // Flash messages get a close button; focus moves to the main region so it is not lost with the button.
  function setUpDismissibleAlerts() {
    document.querySelectorAll(".alert[data-dismissible]").forEach(function (alert) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "alert__close";
      button.setAttribute("aria-label", "Dismiss message");
      button.textContent = "×";
      button.addEventListener("click", function () {
        var list = alert.parentElement;
        alert.remove();
        if (list && list.classList.contains("messages") && !list.querySelector(".alert")) list.remove();
        var main = document.getElementById("main");
        if (main) main.focus();
      });
      alert.appendChild(button);
    });
  }

  // <input type="date" data-min-date-of="id_check_in">: check-out can't be before the day after check-in.
  function setUpCheckOutMinimum() {
    document.querySelectorAll("input[data-min-date-of]").forEach(function (checkOut) {
      var checkIn = document.getElementById(checkOut.getAttribute("data-min-date-of"));
      if (!checkIn) return;
      function update() {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(checkIn.value)) return;
        var next = new Date(checkIn.value + "T00:00:00Z");
        next.setUTCDate(next.getUTCDate() + 1);
        var min = next.toISOString().slice(0, 10);
        checkOut.min = min;
        if (checkOut.value && checkOut.value < min) checkOut.value = min;
      }
      checkIn.addEventListener("change", update);
      update();
    });
  }

  function init() {
    setUpNavToggle();
    setUpDismissibleAlerts();
    setUpCheckOutMinimum();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
