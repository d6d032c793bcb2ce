// Course workspace: audience tags as chips (the form still posts "a, b, c" without JS), a live
// warning when a higher-level tier is priced below a lower one (the rule in pricing.py), the
// sections htmx swaps in place (errors inline, the focus put back) and tiers dragged to reorder.
(function () {
  "use strict";

  function tagInput(input) {
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = input.name;
    input.removeAttribute("name");
    var box = document.createElement("div");
    box.className = "tag-input";
    var list = document.createElement("ul");
    list.className = "chips";
    input.parentNode.insertBefore(box, input);
    box.appendChild(list);
    box.appendChild(input);
    box.appendChild(hidden);
    var tags = [];

    function sync() {
      hidden.value = tags.join(", ");
      list.innerHTML = "";
      tags.forEach(function (tag, i) {
        var li = document.createElement("li");
        li.className = "tag-chip";
        li.appendChild(document.createTextNode(tag));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "tag-remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", (input.dataset.removeLabel || "Remove") + " " + tag);
        remove.addEventListener("click", function () { tags.splice(i, 1); sync(); input.focus(); });
        li.appendChild(remove);
        list.appendChild(li);
      });
    }
    function add(text) {
      text.split(/[,，]/).forEach(function (part) {
        var tag = part.trim();
        if (tag && tags.indexOf(tag) === -1) tags.push(tag);
      });
      input.value = "";
      sync();
    }
    add(input.value);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === "," || event.key === "，") {
        event.preventDefault();
        add(input.value);
      } else if (event.key === "Backspace" && !input.value && tags.length) {
        tags.pop();
        sync();
      }
    });
    input.addEventListener("input", function () {
      if (/[,，]/.test(input.value)) add(input.value);
    });
    input.addEventListener("blur", function () { if (input.value.trim()) add(input.value); });
    input.form.addEventListener("submit", function () { if (input.value.trim()) add(input.value); });
  }

  // The out-of-order warning, live while typing: delegated, so it keeps working after htmx
  // swaps the tiers section in.
  function tierWarnings() {
    function read(form) {
      var name = form.querySelector("input[name$='name']");
      var level = form.querySelector("select[name$='level']");
      var price = form.querySelector("input[name$='list_price']");
      if (!name || !level || !price || !name.value.trim() || price.value === "") return null;
      var value = parseFloat(price.value);
      if (isNaN(value)) return null;
      return {
        name: name.value.trim(),
        rank: level.selectedIndex,
        level: level.options[level.selectedIndex].text,
        price: value,
      };
    }
    function check() {
      var box = document.getElementById("tier-warnings");
      if (!box) return;
      var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-tier]"));
      var tiers = forms.map(read).filter(Boolean);
      box.innerHTML = "";
      tiers.forEach(function (low) {
        tiers.forEach(function (high) {
          if (low.rank < high.rank && high.price < low.price) {
            var li = document.createElement("li");
            li.className = "bad";
            li.textContent = box.dataset.message
              .replace("{high}", high.name).replace("{high_level}", high.level)
              .replace("{low}", low.name).replace("{low_level}", low.level);
            box.appendChild(li);
          }
        });
      });
    }
    ["input", "change"].forEach(function (type) {
      document.addEventListener(type, function (event) {
        if (event.target.closest && event.target.closest("form[data-tier]")) check();
      });
    });
  }

  // A section refused with 422 comes back with its errors next to the fields: swap it in
  // (htmx leaves 4xx replies alone by default) instead of toasting a bare failure.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var target = event.detail.target;
    if (xhr.status === 422 && target && target.closest && target.closest(".workspace")
        && !xhr.getResponseHeader("X-Error-Message")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a swap the server marks where the focus belongs: the first field in error, the add
  // form's first field (to add the next one), the button of a moved tier, the heading after a
  // delete. Without a mark the focus stays where htmx left it.
  document.addEventListener("htmx:afterSettle", function () {
    var mark = document.querySelector(".workspace [data-focus]");
    if (!mark) return;
    mark.removeAttribute("data-focus");
    var target = mark.querySelector("[aria-invalid='true']")
      || (mark.tagName === "FORM" ? mark.querySelector("input:not([type=hidden]), select, textarea") : mark);
    if (target) target.focus();
  });

  // Drag a tier by its handle to reorder (the buttons do the same without a mouse).
  function tierDrag() {
    var dragged = null;
    function list() { return document.querySelector(".tier-list"); }
    function handles(root) {
      var hint = document.querySelector("[data-drag-hint]");
      if (hint) hint.hidden = false;
      (root || document).querySelectorAll(".tier-row[data-tier-id]").forEach(function (row) {
        if (row.querySelector(".drag-handle")) return;
        var handle = document.createElement("span");
        handle.className = "drag-handle";
        handle.textContent = "⠿";
        handle.title = (list() && list().dataset.dragLabel) || "Drag";
        handle.setAttribute("aria-hidden", "true");
        handle.addEventListener("mousedown", function () { row.draggable = true; });
        handle.addEventListener("mouseup", function () { row.draggable = false; });
        row.querySelector(".tier-head").prepend(handle);
      });
    }
    document.addEventListener("dragstart", function (event) {
      var row = event.target.closest && event.target.closest(".tier-row[data-tier-id]");
      if (!row) return;
      dragged = row;
      row.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.dataset.tierId);
    });
    function clearMarks() {
      document.querySelectorAll(".drop-before, .drop-after").forEach(function (el) {
        el.classList.remove("drop-before", "drop-after");
      });
    }
    document.addEventListener("dragover", function (event) {
      var row = dragged && event.target.closest && event.target.closest(".tier-row[data-tier-id]");
      if (!row || row === dragged) return;
      event.preventDefault();
      clearMarks();
      var box = row.getBoundingClientRect();
      row.classList.add(event.clientY < box.top + box.height / 2 ? "drop-before" : "drop-after");
    });
    document.addEventListener("drop", function (event) {
      var row = dragged && event.target.closest && event.target.closest(".tier-row[data-tier-id]");
      if (!row || row === dragged) return;
      event.preventDefault();
      var before = row.classList.contains("drop-before");
      row.parentNode.insertBefore(dragged, before ? row : row.nextSibling);
      clearMarks();
      var form = document.getElementById("tier-order-form");
      form.querySelectorAll("input[name=order]").forEach(function (el) { el.remove(); });
      row.parentNode.querySelectorAll(".tier-row[data-tier-id]").forEach(function (el) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "order";
        input.value = el.dataset.tierId;
        form.appendChild(input);
      });
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    });
    document.addEventListener("dragend", function () {
      if (dragged) { dragged.classList.remove("dragging"); dragged.draggable = false; }
      dragged = null;
      clearMarks();
    });
    handles(document);
    document.addEventListener("htmx:afterSettle", function () { handles(document); });
  }

  document.querySelectorAll("input[data-tag-input]").forEach(tagInput);
  tierWarnings();
  tierDrag();
})();
