// The content form: a live character count and a live WhatsApp preview of the text, and a
// warning before a picture that is too large or not PNG/JPEG is sent. A file, not an inline
// script (the Content-Security-Policy forbids those); the form works the same without it.
(function () {
  "use strict";
  var body = document.getElementById("content-body");
  var count = document.getElementById("content-count");
  var shown = document.getElementById("preview-body");
  var numbers = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en" : "id-ID");

  // WhatsApp's *bold*, _italic_ and ~struck~ words, built as elements (never as HTML).
  var FORMAT = /(^|[^\w*_~])([*_~])(?=\S)([^\n]*?\S)\2(?![\w*_~])/;
  var TAGS = { "*": "strong", "_": "em", "~": "s" };

  function formatted(target, text) {
    while (target.firstChild) { target.removeChild(target.firstChild); }
    var rest = text;
    var found = FORMAT.exec(rest);
    while (found) {
      var start = found.index + found[1].length;
      target.appendChild(document.createTextNode(rest.slice(0, start)));
      var mark = document.createElement(TAGS[found[2]]);
      mark.textContent = found[3];
      target.appendChild(mark);
      rest = rest.slice(found.index + found[0].length);
      found = FORMAT.exec(rest);
    }
    target.appendChild(document.createTextNode(rest));
  }

  function update() {
    var text = body.value.trim();
    var length = Array.from(text).length; // characters as the server counts them (emoji: one)
    var limit = parseInt(count.getAttribute("data-limit"), 10);
    var words = count.getAttribute("data-words").replace("{count}", numbers.format(length));
    if (length > limit) { words += " " + count.getAttribute("data-over"); }
    count.textContent = words;
    count.classList.toggle("over", length > limit);
    if (shown) { formatted(shown, text); }
  }

  if (body && count) {
    body.addEventListener("input", update);
    update();
  }

  var file = document.getElementById("content-image");
  var problem = document.getElementById("content-image-problem");
  var picture = document.getElementById("preview-image");
  if (file && problem) {
    file.addEventListener("change", function () {
      problem.hidden = true;
      var chosen = file.files && file.files[0];
      if (!chosen) { return; }
      if (chosen.size > parseInt(file.getAttribute("data-limit"), 10)) {
        problem.textContent = file.getAttribute("data-too-large");
        problem.hidden = false;
        file.value = "";
        return;
      }
      if (picture && (chosen.type === "image/png" || chosen.type === "image/jpeg")) {
        var reader = new FileReader();
        reader.onload = function () { picture.src = reader.result; picture.hidden = false; };
        reader.readAsDataURL(chosen);
      }
    });
  }
})();
