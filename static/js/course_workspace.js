// Course workspace: audience tags as chips (the form still posts "a, b, c" without JS) and a
// live warning when a higher-level tier is priced below a lower one (the rule in pricing.py).
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

  function tierWarnings() {
    var box = document.getElementById("tier-warnings");
    if (!box) return;
    var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-tier]"));
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
    forms.forEach(function (form) {
      form.addEventListener("input", check);
      form.addEventListener("change", check);
    });
  }

  document.querySelectorAll("input[data-tag-input]").forEach(tagInput);
  tierWarnings();
})();
