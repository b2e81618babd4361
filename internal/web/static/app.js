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
    if (e.target.matches("[data-print]")) { e.preventDefault(); window.print(); }
  });
  // A submit button marked data-confirm-target asks first, in the
  // Bootstrap modal it names, whose own button sends the form; one marked
  // data-needs (a reject needs its remark) first marks that field when
  // empty. Without scripts the button sends at once.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button[data-confirm-target]");
    if (!b || !window.bootstrap) return;
    e.preventDefault();
    var need = b.getAttribute("data-needs") && document.querySelector(b.getAttribute("data-needs"));
    if (need && !need.value.trim()) { need.classList.add("is-invalid"); need.focus(); return; }
    var box = document.querySelector(b.getAttribute("data-confirm-target"));
    box.querySelectorAll("[data-echo]").forEach(function (el) { el.textContent = document.querySelector(el.getAttribute("data-echo")).value; });
    bootstrap.Modal.getOrCreateInstance(box).show();
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
// On a phone, the transaction list's filters other than the customer fold
// away behind a button unless one of them is set; without scripts, or on a
// wider screen, they all show.
document.addEventListener("DOMContentLoaded", function () {
  var more = document.getElementById("tx-more"), toggle = document.getElementById("tx-more-toggle");
  if (!more || !toggle || !window.matchMedia("(max-width: 767.98px)").matches) return;
  var set = Array.prototype.some.call(more.querySelectorAll("input, select"), function (f) { return f.value !== ""; });
  if (set) return;
  more.classList.add("collapse");
  toggle.classList.remove("d-none");
});
// Money forms: the picker's results by keyboard (down from the search box
// into the list, up and down in it, Escape back), and the currency box for
// "another code" and for an adjustment that opens an account, shown only
// when chosen (without scripts both are always on show).
(function () {
  document.addEventListener("keydown", function (e) {
    var list = document.getElementById("pick-list");
    if (!list || (e.target.id !== "pick-q" && !list.contains(e.target))) return;
    var links = Array.prototype.slice.call(list.querySelectorAll("a"));
    var i = links.indexOf(e.target);
    if (e.key === "ArrowDown" && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
    if (e.key === "ArrowUp" && i >= 0) { e.preventDefault(); (i === 0 ? document.getElementById("pick-q") : links[i - 1]).focus(); }
    if (e.key === "Escape" && i >= 0) { e.preventDefault(); document.getElementById("pick-q").focus(); }
  });
  function sync() {
    var sel = document.getElementById("f-currency");
    var box = document.getElementById("currency-other");
    if (sel && box) {
      box.hidden = sel.value !== "other";
      if (box.hidden) document.getElementById("f-currency-other").value = "";
    }
    var fresh = document.getElementById("new-currency");
    var choice = document.querySelector('input[name="account_id"]:checked');
    var only = document.querySelector('input[type="hidden"][name="account_id"]');
    var opening = (only && only.value === "new") || (choice && choice.value === "new");
    if (fresh) fresh.hidden = !opening;
    // Beside the amount, the currency it is in.
    var code = document.getElementById("amount-currency");
    if (code) {
      var other = document.getElementById("f-currency-other");
      var c = !opening ? (choice ? choice.getAttribute("data-currency") : "") :
        sel && sel.value === "other" ? (other ? other.value.toUpperCase() : "") : (sel ? sel.value : "");
      code.textContent = c;
      code.hidden = !c;
    }
  }
  document.addEventListener("change", function (e) {
    if (e.target.id === "f-currency" || e.target.name === "account_id") sync();
  });
  document.addEventListener("input", function (e) {
    if (e.target.id === "f-currency-other") sync();
  });
  document.addEventListener("DOMContentLoaded", sync);
  document.addEventListener("htmx:afterSwap", sync); // the recharge dialog's form
})();
// Adjustment: "Credit as bonus" applies to a credit with reason promotion
// only, and its last day to bonus only: each is shown only then, and a
// hidden one is emptied, so that it is never sent unseen. Without scripts
// both are on show, and the server refuses what does not apply.
(function () {
  function sync() {
    var box = document.getElementById("bonus-fields");
    if (!box) return;
    var credit = document.getElementById("dir-credit"), reason = document.getElementById("f-reason");
    var bonus = document.getElementById("f-bonus"), day = document.getElementById("f-bonus_expires_at");
    box.hidden = !(credit.checked && reason.value === "promotion");
    if (box.hidden) bonus.checked = false;
    document.getElementById("bonus-expiry").hidden = !bonus.checked;
    if (!bonus.checked) day.value = "";
  }
  document.addEventListener("change", function (e) {
    if (e.target.name === "direction" || e.target.id === "f-reason" || e.target.id === "f-bonus") sync();
  });
  document.addEventListener("DOMContentLoaded", sync);
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
// A field marked data-select-all (a link shown once) selects its text when
// it takes the focus, ready to copy.
document.addEventListener("focusin", function (e) {
  if (e.target.matches && e.target.matches("[data-select-all]")) e.target.select();
});
