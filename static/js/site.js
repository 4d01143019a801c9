// Progressive enhancement only: the site works without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      nav.classList.toggle("site-nav--open", !open);
    });
  }
  // A check-out field follows its check-in: its minimum is the day after.
  document.querySelectorAll("input[data-min-date-of]").forEach(function (checkOut) {
    var checkIn = document.getElementById(checkOut.getAttribute("data-min-date-of"));
    if (!checkIn) return;
    var update = function () {
      if (!checkIn.value) return;
      var next = new Date(checkIn.value + "T00:00:00Z");
      next.setUTCDate(next.getUTCDate() + 1);
      var min = next.toISOString().slice(0, 10);
      checkOut.min = min;
      if (checkOut.value && checkOut.value < min) checkOut.value = min;
    };
    checkIn.addEventListener("change", update);
    update();
  });
});
