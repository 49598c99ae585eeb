// Filters, text search and sorting of the ledger table. Reads data-* attributes and textContent only:
// never innerHTML, so scanned text stays text.
(function () {
  "use strict";
  var table = document.getElementById("ledger");
  if (!table) { return; }
  var bodies = Array.prototype.slice.call(table.querySelectorAll("tbody.item"));
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  bodies.forEach(function (b) { b._text = b.textContent.toLowerCase(); });

  function apply() {
    var query = search.value.trim().toLowerCase();
    var count = 0;
    bodies.forEach(function (b) {
      var ok = selects.every(function (s) { return !s.value || b.dataset[s.dataset.filter] === s.value; });
      ok = ok && (!query || b._text.indexOf(query) >= 0);
      b.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = String(count);
  }

  function sortBy(th) {
    var key = th.dataset.sort, numeric = th.dataset.type === "num";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    bodies.sort(function (a, b) {
      var x = a.dataset[key] || "", y = b.dataset[key] || "";
      var c = numeric ? Number(x) - Number(y) : x.localeCompare(y, "zh-Hans-CN");
      return ascending ? c : -c;
    });
    bodies.forEach(function (b) { table.appendChild(b); });
  }

  selects.forEach(function (s) { s.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  table.querySelectorAll("th.sortable").forEach(function (th) {
    th.addEventListener("click", function () { sortBy(th); });
  });
  apply();
})();
