// Shows times in the browser's own zone on first visit: the zone form is submitted once with the
// detected zone. Everything works without this file (the form and its button do the same).
(function () {
  "use strict";
  var form = document.getElementById("zone-form");
  if (!form || form.getAttribute("data-chosen") === "1") return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  var select = form.querySelector("select");
  if (!zone || !select || select.value === zone) return;
  var url = new URL(form.action, window.location.href);
  url.searchParams.set("tz", zone);
  window.location.replace(url.toString());
})();
