// Coffer's small enhancements; every page works without them.
(function () {
  // Ask before a form that cannot be undone is sent.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
    // A second click while the first is on its way sends nothing more (the
    // server would answer it with the first result anyway).
    var b = e.target.querySelector("button[type=submit]");
    if (b && e.target.method === "post") { setTimeout(function () { b.disabled = true; }, 0); }
  });
  // A select marked data-autosubmit (the page size) applies at once.
  document.addEventListener("change", function (e) {
    if (e.target.matches("select[data-autosubmit]")) e.target.form.submit();
  });
  document.addEventListener("click", function (e) {
    if (e.target.matches("[data-back]")) { e.preventDefault(); history.back(); }
  });
  // Show the chosen voucher images before they are sent.
  document.addEventListener("change", function (e) {
    if (e.target.id !== "f-vouchers") return;
    var box = document.getElementById("voucher-preview");
    box.textContent = "";
    Array.prototype.forEach.call(e.target.files, function (f) {
      var img = document.createElement("img");
      img.alt = f.name;
      img.src = URL.createObjectURL(f);
      box.appendChild(img);
    });
  });
})();
// Batch alert amount: select all, and say how many accounts are selected.
(function () {
  function count() {
    var p = document.getElementById("batch-count");
    if (!p) return;
    var boxes = document.querySelectorAll('#accounts-table input[name="ids"]:checked');
    var n = boxes.length;
    // data-single is the text for a count of one, which English words
    // apart from every other whole number; data-some holds %d for the
    // others. (Not "data-one": html/template takes data-on… for a script.)
    p.textContent = !n ? p.getAttribute("data-none") : n === 1 ? p.getAttribute("data-single") : p.getAttribute("data-some").replace("%d", n);
    // Ticking accounts makes them the scope; unticking them all leaves a
    // scope that needs no selection (G 2.4).
    var selected = document.getElementById("scope-selected");
    if (selected && n > 0) selected.checked = true;
    if (selected && !n && selected.checked) {
      var other = document.getElementById("scope-filter") || document.getElementById("scope-currency");
      if (other) other.checked = true;
    }
    // A selection over several currencies reads one amount in each.
    var seen = {};
    boxes.forEach(function (c) { seen[c.getAttribute("data-currency")] = true; });
    var codes = Object.keys(seen).sort();
    var warn = document.getElementById("batch-mixed");
    if (warn) {
      warn.textContent = codes.length > 1 ? p.getAttribute("data-mixed").replace("%s", codes.join(", ")) : "";
      warn.classList.toggle("d-none", codes.length < 2);
    }
  }
  document.addEventListener("change", function (e) {
    if (e.target.id === "select-all") {
      document.querySelectorAll('#accounts-table input[name="ids"]').forEach(function (c) { c.checked = e.target.checked; });
    }
    if (e.target.closest && e.target.closest("#accounts-table")) count();
  });
  document.addEventListener("htmx:afterSwap", count);
  document.addEventListener("DOMContentLoaded", count);
})();
// Forms marked data-errors-in-place (the account and batch dialogs) come
// back with their errors (422) or as things are now (409): show them in
// place, as htmx otherwise leaves error answers unshown.
document.addEventListener("htmx:beforeSwap", function (e) {
  var s = e.detail.xhr.status;
  if ((s === 422 || s === 409) && e.detail.elt.closest && e.detail.elt.closest("[data-errors-in-place]")) {
    e.detail.shouldSwap = true;
    e.detail.isError = false;
  }
});
